// Manifold: a client of one running core, through libmanifold_ctl.
//
// Asynchronous requests are queued, submitted in batches (one native call per batch) and their
// completions fetched many per native call by a poll loop that runs only while requests are
// outstanding: setImmediate for the first ~2 ms after the last progress, then setTimeout(1).
// Each request carries a ctx that its completion echoes; a Map ctx -> promise settles it.
import { readdirSync } from 'node:fs';
import koffi, { type TypeObject } from 'koffi';
import { native, type CtlHandle, type NativeTable } from './bindings.js';
import { Diag } from './diag.js';
import { Stack } from './stack.js';
import { Policies } from './policies.js';
import { Sender, type SendBatch, type SendBatchObject, type SendOptions } from './send.js';
import type { LatenessReport, SendReport } from './send-report.js';
import {
  ClosedError,
  CoreGoneError,
  ManifoldError,
  RequestRejectedError,
  TimeoutError,
  errnoNumber,
  errorFromNative,
} from './errors.js';
import {
  ARENA_SLOT_SIZE,
  ARGS_LEN,
  BULK_SLOT_SIZE,
  FwdMode,
  INSTANCE_NAME_MAX,
  MfFwdArg,
  MfPortArg,
  MfPortInfo,
  MfVersionInfo,
  O,
  Op,
  PORT_ALL,
  PORT_NONE,
  PORT_KEEP,
  REASON_LEN,
  REQ_BULK,
  RING_SIZE,
  decodeStats,
  opName,
  parseMac,
  toPortInfo,
  toVersionInfo,
  type FwdModeName,
  type OpCode,
  type PortInfo,
  type RawPortInfo,
  type RawVersionInfo,
  type Stats,
  type VersionInfo,
} from './structs.js';

export interface AttachOptions {
  /** How long attach() waits while the core is still starting, in ms (default 10000). */
  startTimeoutMs?: number;
  /** Default time a request may take, in ms (default 10000; 0 waits forever). */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  /** This request's timeout in ms (default: the client's requestTimeoutMs). */
  timeoutMs?: number;
  /** Do not copy `input`: the caller leaves its bytes unchanged until the request settles
   * (client.send() does, for the chunks of a batch it is sending). Default false: copied. */
  borrowInput?: boolean;
  /** Goes ahead of the requests queued for room in the ring (not of those in it): for a short
   * request that must not wait behind a long pipeline, such as send()'s report polls behind
   * the chunks of the batches being submitted. Default false: in order. */
  urgent?: boolean;
  /** The input goes to one of this client's bulk slots (up to BULK_SLOT_SIZE bytes), for ops
   * that take it (SEND_SUBMIT): written there straight from its parts when the request is
   * submitted, so the parts are borrowed (left unchanged until the request settles) and never
   * copied in between. Default false: an arena slot (up to ARENA_SLOT_SIZE). */
  bulk?: boolean;
}

/** A request's bulk input: one array, or parts sent back to back (no concatenation). */
export type RequestInput = Uint8Array | readonly Uint8Array[];

/** A completion: status 0 (rejections are thrown as RequestRejectedError), reason, reply. */
export interface Reply {
  op: number;
  status: number;
  reason: string;
  /** the reply bytes (a copy, yours to keep) */
  data: Buffer;
}

export interface ForwardOptions {
  /** egress port index; null: no peer (io and mac then drop what the port receives, counted
   * as drop_no_egress); default: keep the current peer */
  peer?: number | null;
  /** next-hop MAC for the 'mac' mode, "aa:bb:cc:dd:ee:ff" */
  peerMac?: string;
}

interface Pending {
  ctx: number;
  op: number;
  args: Buffer | null;
  /** the input's parts, sent back to back */
  input: readonly Uint8Array[] | null;
  inputLen: number;
  /** the input goes to a bulk slot (RequestOptions.bulk) */
  bulk: boolean;
  /** performance.now() deadline, or Infinity */
  deadline: number;
  timeoutMs: number;
  resolve(reply: Reply): void;
  reject(err: ManifoldError): void;
}

const BUSY_POLL_MS = 2; // setImmediate this long after the last progress, then setTimeout(1)
const TIMEOUT_CHECK_MS = 10;

function now(): number {
  return performance.now();
}

function cString(buf: Buffer, start: number, max: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end < 0 || end > start + max ? start + max : end);
}

function encode(type: TypeObject, value: Record<string, unknown>): Buffer {
  const buf = Buffer.alloc(koffi.sizeof(type));
  koffi.encode(buf, 0, type, value);
  return buf;
}

function invalid(op: string, reason: string): ManifoldError {
  return new ManifoldError({ errno: errnoNumber('EINVAL'), reason, op });
}

function portArg(op: string, port: number | 'all', allowAll: boolean): number {
  if (port === 'all') {
    if (!allowAll) throw invalid(op, "this operation takes one port, not 'all'");
    return PORT_ALL;
  }
  if (!Number.isInteger(port) || port < 0 || port >= PORT_ALL) {
    throw invalid(op, `port must be an integer 0..${PORT_ALL - 1}${allowAll ? " or 'all'" : ''}, not ${String(port)}`);
  }
  return port;
}

export class Manifold {
  /** Instance name. */
  readonly name: string;
  /** pid of the core process. */
  readonly corePid: number;
  /** Index of the client slot this client holds. */
  readonly clientIndex: number;
  /** Path of the libmanifold_ctl.so in use. */
  readonly libraryPath: string;

  private readonly n: NativeTable;
  private ctl: CtlHandle | null;
  private readonly requestTimeoutMs: number;
  private nextCtx = 1;
  private readonly queue: Pending[] = [];
  private readonly pending = new Map<number, Pending>();
  private flushScheduled = false;
  private pollTimer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private lastProgress = 0;
  private nextTimeoutCheck = 0;
  private gone: ManifoldError | null = null;
  private portNames: string[] | null = null;

  // Buffers reused by every native call of this client.
  private readonly reqBuf = Buffer.alloc(RING_SIZE * O.requestSize);
  private inBuf = Buffer.alloc(0);
  private readonly cplBuf = Buffer.alloc(RING_SIZE * O.completionSize);
  private readonly replyBuf = Buffer.alloc(RING_SIZE * ARENA_SLOT_SIZE);
  private readonly replyLens = new Uint32Array(RING_SIZE);
  private readonly statsBuf = Buffer.alloc(O.statsSize);
  private readonly syncReply = Buffer.alloc(ARENA_SLOT_SIZE);
  private readonly syncLen = new Uint32Array(1);
  private readonly syncStatus = new Int32Array(1);
  private readonly syncReason = Buffer.alloc(REASON_LEN);

  private constructor(name: string, n: NativeTable, ctl: CtlHandle, opts: AttachOptions) {
    this.name = name;
    this.n = n;
    this.ctl = ctl;
    this.corePid = n.corePid(ctl);
    this.clientIndex = n.clientIndex(ctl);
    this.libraryPath = n.path;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10000;
  }

  /** Attaches to instance `name` (synchronously: opens the segment, claims a client slot).
   * Throws NotRunningError (ENOENT, ECONNREFUSED), AbiMismatchError, BadSegmentError,
   * BusyError (EBUSY), TimeoutError (still starting). */
  static attach(name = 'default', opts: AttachOptions = {}): Manifold {
    const n = native();
    const out: [CtlHandle | null] = [null];
    const rc = n.attach(name, opts.startTimeoutMs ?? 10000, out);
    if (rc < 0 || out[0] === null) throw errorFromNative(rc < 0 ? rc : -errnoNumber('EIO'), n.lastError(), 'attach', name);
    return new Manifold(name, n, out[0], opts);
  }

  /** Names of the instances that have a control segment in /dev/shm (running or stale). */
  static instances(): string[] {
    try {
      return readdirSync('/dev/shm')
        .filter((f) => f.startsWith('manifold.'))
        .map((f) => f.slice('manifold.'.length))
        .filter((s) => s.length > 0 && s.length <= INSTANCE_NAME_MAX);
    } catch {
      return [];
    }
  }

  /** Requests submitted or queued, not yet answered. */
  get inFlight(): number {
    return this.pending.size + this.queue.length;
  }

  get closed(): boolean {
    return this.ctl === null;
  }

  /** True while the core process exists (and is not a zombie). */
  alive(): boolean {
    return this.ctl !== null && this.gone === null && this.n.coreAlive(this.ctl) === 1;
  }

  /** ms since the core's control loop last ran (Infinity if it never reported). */
  heartbeatAgeMs(): number {
    if (this.ctl === null) return Infinity;
    const ns = BigInt(this.n.heartbeatAgeNs(this.ctl));
    return ns === 0xffffffffffffffffn ? Infinity : Number(ns) / 1e6;
  }

  // ---- operations ---------------------------------------------------------------------------

  async nop(): Promise<void> {
    await this.request(Op.NOP);
  }

  async version(): Promise<VersionInfo> {
    const r = await this.request(Op.VERSION);
    return toVersionInfo(koffi.decode(r.data, 0, MfVersionInfo) as RawVersionInfo);
  }

  async ports(): Promise<PortInfo[]> {
    const r = await this.request(Op.PORT_LIST);
    const list = this.decodePortList(r.data);
    this.portNames = list.map((p) => p.name);
    return list;
  }

  async port(id: number): Promise<PortInfo> {
    const args = encode(MfPortArg, { port: portArg('PORT_INFO', id, false) });
    const r = await this.request(Op.PORT_INFO, args);
    return toPortInfo(koffi.decode(r.data, 0, MfPortInfo) as RawPortInfo);
  }

  /** Asks the core to fold every lcore's counters now (STATS_SYNC), then reads them. */
  async stats(): Promise<Stats> {
    await this.request(Op.STATS_SYNC);
    if (!this.portNames) await this.ports().catch(() => undefined);
    return this.readStats();
  }

  /** The stats region as the core last folded it (every --stats-ms): no request, one
   * seqlock read in the library. */
  statsNow(): Stats {
    if (!this.portNames) {
      try {
        this.portNames = this.decodePortList(this.callSync(Op.PORT_LIST, undefined, undefined, 2000).data).map((p) => p.name);
      } catch {
        // names stay "port<i>"
      }
    }
    return this.readStats();
  }

  async clearStats(port: number | 'all' = 'all'): Promise<void> {
    const args = encode(MfPortArg, { port: portArg('STATS_CLEAR', port, true) });
    await this.request(Op.STATS_CLEAR, args);
  }

  /** What `port` does with what it receives: 'io' and 'mac' send out of the peer port,
   * 'stack' hands to the stack, 'drop' counts and frees. */
  async setForward(port: number | 'all', mode: FwdModeName, opts: ForwardOptions = {}): Promise<void> {
    if (!Object.prototype.hasOwnProperty.call(FwdMode, mode)) {
      throw invalid('FWD_SET', `unknown forward mode '${String(mode)}'; modes are ${Object.keys(FwdMode).join(', ')}`);
    }
    let mac: number[] | undefined;
    if (opts.peerMac !== undefined) {
      mac = parseMac(opts.peerMac);
      if (!mac) throw invalid('FWD_SET', `bad peer MAC '${opts.peerMac}'; write it as aa:bb:cc:dd:ee:ff`);
    }
    const args = encode(MfFwdArg, {
      port: portArg('FWD_SET', port, true),
      peer: opts.peer === undefined ? PORT_KEEP : opts.peer === null ? PORT_NONE : portArg('FWD_SET', opts.peer, false),
      mode: FwdMode[mode],
      has_mac: mac ? 1 : 0,
      peer_mac: mac ?? [0, 0, 0, 0, 0, 0],
    });
    await this.request(Op.FWD_SET, args);
  }

  private diagOps?: Diag;

  /** Diagnostics: xstats, start/stop of forwarding, capture (ffi/diag.ts). */
  get diag(): Diag {
    this.diagOps ??= new Diag(this);
    return this.diagOps;
  }

  private policyOps?: Policies;

  /** Policies: add, update, remove, list, get, stats, destinations (ffi/policies.ts). */
  get policies(): Policies {
    this.policyOps ??= new Policies(this);
    return this.policyOps;
  }

  private stackOps?: Stack;

  /** The stack: addresses, gateways, neighbours, UDP sockets (ffi/stack.ts). */
  get stack(): Stack {
    this.stackOps ??= new Stack(this);
    return this.stackOps;
  }

  private sendOps?: Sender;

  /** Aggregate sends (ffi/send.ts): what send(), sendDrained() and sendLateness() use. */
  get sender(): Sender {
    this.sendOps ??= new Sender(this);
    return this.sendOps;
  }

  /** Sends a batch of messages (a SendBatch, or its plain-object form) and resolves with its
   * report once every message left or was dropped. See docs/send.md. */
  send(batch: SendBatch | SendBatchObject, opts?: SendOptions): Promise<SendReport> {
    return this.sender.send(batch, opts);
  }

  /** Resolves once at most `maxPending` of this client's batches are still running: the wait
   * after a SendBackpressureError. */
  sendDrained(maxPending = 0): Promise<void> {
    return this.sender.drained(maxPending);
  }

  /** How late the core's packets left, per transmitting lcore and in total. */
  sendLateness(): Promise<LatenessReport> {
    return this.sender.lateness();
  }

  /** Stops the core (as SIGTERM would); resolves when it has acknowledged. */
  async shutdown(): Promise<void> {
    await this.request(Op.SHUTDOWN);
  }

  // ---- generic requests ---------------------------------------------------------------------

  /** Sends one request; resolves with its completion, rejects with RequestRejectedError
   * (the core's status and reason), CoreGoneError, TimeoutError or ClosedError. */
  request(op: OpCode | number, args?: Uint8Array, input?: RequestInput, opts: RequestOptions = {}): Promise<Reply> {
    const name = opName(op);
    if (this.ctl === null) return Promise.reject(new ClosedError({ errno: errnoNumber('EBADF'), reason: `client of '${this.name}' is closed; attach again`, op: name, instance: this.name }));
    if (this.gone) return Promise.reject(errorFromNative(-this.gone.errno, this.gone.reason, name, this.name));
    if (args && args.length > ARGS_LEN) return Promise.reject(invalid(name, `arguments are ${args.length} bytes, at most ${ARGS_LEN} fit in a request`));
    let parts: readonly Uint8Array[] | null = null;
    let inputLen = 0;
    if (input !== undefined) {
      parts = input instanceof Uint8Array ? [input] : input;
      for (const part of parts) {
        if (!(part instanceof Uint8Array)) return Promise.reject(invalid(name, `input parts must be Uint8Arrays (Buffers), not ${typeof part}`));
        inputLen += part.length;
      }
    }
    const bulk = opts.bulk === true;
    const cap = bulk ? BULK_SLOT_SIZE : ARENA_SLOT_SIZE;
    if (inputLen > cap) {
      return Promise.reject(new ManifoldError({ errno: errnoNumber('EMSGSIZE'), reason: `input is ${inputLen} bytes, ${bulk ? 'a bulk' : 'an arena'} slot holds at most ${cap}`, op: name, instance: this.name }));
    }
    // copied unless borrowed: the caller may reuse its arrays (bulk inputs are borrowed)
    if (parts !== null && !opts.borrowInput && !bulk) parts = [Buffer.concat(parts, inputLen)];
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Reply>((resolve, reject) => {
      const p: Pending = {
        ctx: this.nextCtx++,
        op,
        args: args ? Buffer.from(args) : null, // copies: the caller may reuse its arrays
        input: parts,
        inputLen,
        bulk,
        deadline: timeoutMs > 0 ? now() + timeoutMs : Infinity,
        timeoutMs,
        resolve,
        reject,
      };
      if (opts.urgent) this.queue.unshift(p);
      else this.queue.push(p);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => {
          this.flushScheduled = false;
          this.flush();
          this.schedulePoll(true);
        });
      }
    });
  }

  /** Blocking round trip through mf_ctl_call (for benchmarks and synchronous callers).
   * Throws like request() rejects. */
  callSync(op: OpCode | number, args?: Uint8Array, input?: Uint8Array, timeoutMs = this.requestTimeoutMs): Reply {
    const name = opName(op);
    const ctl = this.ctl;
    if (ctl === null) throw new ClosedError({ errno: errnoNumber('EBADF'), reason: `client of '${this.name}' is closed; attach again`, op: name, instance: this.name });
    if (this.gone) throw errorFromNative(-this.gone.errno, this.gone.reason, name, this.name);
    const rc = this.n.call(ctl, op, args ?? null, args?.length ?? 0, input ?? null, input?.length ?? 0,
      this.syncReply, this.syncReply.length, this.syncLen, this.syncStatus, this.syncReason, timeoutMs);
    if (rc < 0) {
      const err = errorFromNative(rc, this.n.lastError(), name, this.name);
      if (err instanceof CoreGoneError) this.fail(err);
      throw err;
    }
    const reply: Reply = {
      op,
      status: this.syncStatus[0] ?? 0,
      reason: cString(this.syncReason, 0, REASON_LEN),
      data: Buffer.from(this.syncReply.subarray(0, Math.min(this.syncLen[0] ?? 0, this.syncReply.length))),
    };
    if (reply.status < 0) throw new RequestRejectedError({ errno: reply.status, status: reply.status, reason: reply.reason, op: name, instance: this.name });
    return reply;
  }

  nopSync(): void {
    this.callSync(Op.NOP);
  }

  /** Detaches (the core frees the slot). Requests still pending reject with ClosedError. */
  close(): void {
    if (this.ctl === null) return;
    const ctl = this.ctl;
    this.stopPolling();
    this.rejectAll(() => new ClosedError({ errno: errnoNumber('ECANCELED'), reason: `client of '${this.name}' was closed before the core answered`, instance: this.name }));
    this.ctl = null;
    this.n.detach(ctl);
  }

  // ---- internals ----------------------------------------------------------------------------

  private decodePortList(data: Buffer): PortInfo[] {
    if (data.length < 4) return [];
    const count = data.readUInt32LE(0);
    const size = koffi.sizeof(MfPortInfo);
    const list: PortInfo[] = [];
    for (let i = 0; i < count && 4 + (i + 1) * size <= data.length; i++) {
      list.push(toPortInfo(koffi.decode(data, 4 + i * size, MfPortInfo) as RawPortInfo));
    }
    return list;
  }

  private readStats(): Stats {
    if (this.ctl === null) throw new ClosedError({ errno: errnoNumber('EBADF'), reason: `client of '${this.name}' is closed; attach again`, op: 'stats', instance: this.name });
    const rc = this.n.statsRead(this.ctl, this.statsBuf);
    if (rc < 0) throw errorFromNative(rc, this.n.lastError(), 'stats', this.name);
    return decodeStats(this.statsBuf, this.portNames ?? []);
  }

  /** Submits as much of the queue as the ring takes, in one native call. */
  private flush(): void {
    while (this.ctl !== null && this.queue.length > 0) {
      // what the ring can take (those pending are in it or being answered): copying more
      // inputs than it takes would copy them again on the next flush
      if (this.queue[0]!.bulk) {
        if (!this.flushBulk()) return;
        continue;
      }
      let batch = Math.min(this.queue.length, Math.max(1, RING_SIZE - this.pending.size));
      for (let i = 1; i < batch; i++) {
        if (this.queue[i]!.bulk) batch = i; // it goes alone, next round
      }
      let inTotal = 0;
      for (let i = 0; i < batch; i++) inTotal += this.queue[i]!.inputLen;
      if (this.inBuf.length < inTotal) this.inBuf = Buffer.alloc(Math.max(inTotal, this.inBuf.length * 2));
      this.reqBuf.fill(0, 0, batch * O.requestSize);
      let inOff = 0;
      for (let i = 0; i < batch; i++) {
        const p = this.queue[i]!;
        this.encodeRequest(i, p, 0);
        if (p.input) {
          // exactly inputLen bytes, as the request says: a borrowed part that shrank since
          // cannot shift the requests after it
          let left = p.inputLen;
          for (const part of p.input) {
            const n = Math.min(part.length, left);
            this.inBuf.set(n === part.length ? part : part.subarray(0, n), inOff);
            inOff += n;
            left -= n;
          }
          inOff += left;
        }
      }
      const rc = this.n.submitBatch(this.ctl, this.reqBuf, batch, inTotal ? this.inBuf : null, inTotal);
      if (rc === -errnoNumber('EAGAIN')) return; // ring full: poll frees room, then flush again
      if (rc < 0) {
        // The first request was refused outright (the others are fine): fail it alone.
        const p = this.queue.shift()!;
        p.reject(errorFromNative(rc, this.n.lastError(), opName(p.op), this.name));
        continue;
      }
      for (const p of this.queue.splice(0, rc)) this.pending.set(p.ctx, p);
      if (rc < batch) return;
    }
  }

  /** Writes p as struct mf_request number i of reqBuf (zeroed by the caller). */
  private encodeRequest(i: number, p: Pending, flags: number): void {
    const base = i * O.requestSize;
    this.reqBuf.writeUInt32LE(p.ctx % 0x100000000, base + O.request.ctx);
    this.reqBuf.writeUInt32LE(Math.floor(p.ctx / 0x100000000), base + O.request.ctx + 4);
    this.reqBuf.writeUInt16LE(p.op, base + O.request.op);
    this.reqBuf.writeUInt16LE(flags, base + O.request.flags);
    this.reqBuf.writeUInt32LE(p.inputLen, base + O.request.in_len);
    if (p.args) p.args.copy(this.reqBuf, base + O.request.args);
  }

  /** Submits the bulk request at the head of the queue: takes a bulk slot, writes its parts
   * there, submits it. False when it must wait (no bulk slot free, or the ring full): the
   * completions that free them flush again. */
  private flushBulk(): boolean {
    const ctl = this.ctl!;
    const p = this.queue[0]!;
    // no ring entry free: do not write up to 1 MiB only to take it back
    if (this.n.inFlight(ctl) >= RING_SIZE) return false;
    const slot = this.n.bulkAcquire(ctl);
    if (slot === -errnoNumber('EAGAIN')) return false;
    const refuse = (rc: number): true => {
      this.queue.shift();
      p.reject(errorFromNative(rc, this.n.lastError(), opName(p.op), this.name));
      return true;
    };
    if (slot < 0) return refuse(slot);
    let off = 0;
    for (const part of p.input ?? []) {
      const n = Math.min(part.length, p.inputLen - off); // as inputLen says (see flush)
      const rc = n > 0 ? this.n.bulkWrite(ctl, slot, off, part, n) : 0;
      if (rc < 0) {
        this.n.bulkRelease(ctl, slot);
        return refuse(rc);
      }
      off += n;
    }
    this.reqBuf.fill(0, 0, O.requestSize);
    this.encodeRequest(0, p, REQ_BULK | (slot << 8));
    const rc = this.n.submitBatch(ctl, this.reqBuf, 1, null, 0);
    if (rc === 1) {
      this.queue.shift();
      this.pending.set(p.ctx, p);
      return true;
    }
    this.n.bulkRelease(ctl, slot);
    if (rc === -errnoNumber('EAGAIN') || rc === 0) return false;
    return refuse(rc);
  }

  private schedulePoll(progress = false): void {
    if (progress) this.lastProgress = now();
    if (this.pollTimer !== null || this.ctl === null) return;
    if (this.pending.size === 0 && this.queue.length === 0) return;
    if (now() - this.lastProgress < BUSY_POLL_MS) {
      this.pollTimer = setImmediate(() => {
        this.pollTimer = null;
        this.pollOnce();
      });
    } else {
      this.pollTimer = setTimeout(() => {
        this.pollTimer = null;
        this.pollOnce();
      }, 1);
    }
  }

  private stopPolling(): void {
    if (this.pollTimer === null) return;
    clearTimeout(this.pollTimer as NodeJS.Timeout);
    clearImmediate(this.pollTimer as NodeJS.Immediate);
    this.pollTimer = null;
  }

  private pollOnce(): void {
    const ctl = this.ctl;
    if (ctl === null) return;
    let progress = false;
    for (;;) {
      const rc = this.n.poll(ctl, this.cplBuf, RING_SIZE, this.replyBuf, this.replyBuf.length, this.replyLens);
      if (rc < 0) {
        this.fail(errorFromNative(rc, this.n.lastError(), 'poll', this.name));
        return;
      }
      if (rc > 0) progress = true;
      this.dispatch(rc);
      if (rc < RING_SIZE) break;
    }
    if (progress && this.queue.length > 0) this.flush();
    const t = now();
    if (t >= this.nextTimeoutCheck) {
      this.nextTimeoutCheck = t + TIMEOUT_CHECK_MS;
      this.expire(t);
    }
    this.schedulePoll(progress);
  }

  private dispatch(count: number): void {
    let replyOff = 0;
    for (let i = 0; i < count; i++) {
      const base = i * O.completionSize;
      const len = this.replyLens[i] ?? 0;
      const lo = this.cplBuf.readUInt32LE(base + O.completion.ctx);
      const hi = this.cplBuf.readUInt32LE(base + O.completion.ctx + 4);
      const ctx = hi * 0x100000000 + lo;
      const p = hi < 0x200000 ? this.pending.get(ctx) : undefined; // not ours: mf_ctl_call's
      const off = replyOff;
      replyOff += len;
      if (!p) continue; // timed out earlier: its late answer is dropped
      this.pending.delete(ctx);
      const status = this.cplBuf.readInt32LE(base + O.completion.status);
      const reason = cString(this.cplBuf, base + O.completion.reason, REASON_LEN);
      if (status < 0) {
        p.reject(new RequestRejectedError({ errno: status, status, reason, op: opName(p.op), instance: this.name }));
      } else {
        p.resolve({ op: p.op, status, reason, data: Buffer.from(this.replyBuf.subarray(off, off + len)) });
      }
    }
  }

  private expire(t: number): void {
    const late = (p: Pending): boolean => p.deadline <= t;
    const timedOut = (p: Pending): TimeoutError =>
      new TimeoutError({ errno: errnoNumber('ETIMEDOUT'), reason: `core '${this.name}' (pid ${this.corePid}) did not answer ${opName(p.op)} within ${p.timeoutMs} ms`, op: opName(p.op), instance: this.name });
    for (const [ctx, p] of this.pending) {
      if (late(p)) {
        this.pending.delete(ctx);
        p.reject(timedOut(p));
      }
    }
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i]!;
      if (late(p)) {
        this.queue.splice(i, 1);
        p.reject(timedOut(p));
      } else {
        i++;
      }
    }
  }

  /** The core is gone: every request outstanding or to come rejects with `err`'s kind. */
  private fail(err: ManifoldError): void {
    this.gone = err;
    this.stopPolling();
    this.rejectAll((p) => errorFromNative(-err.errno, err.reason, opName(p.op), this.name));
  }

  private rejectAll(make: (p: Pending) => ManifoldError): void {
    const all = [...this.pending.values(), ...this.queue];
    this.pending.clear();
    this.queue.length = 0;
    for (const p of all) p.reject(make(p));
  }
}

