// client.send(): aggregate sends. A SendBatch (ffi/send-batch.ts) is cut into arena-slot
// chunks; the first SUBMIT opens the batch and returns its id, the others follow pipelined (a
// window of requests in flight, in order, the last one committing). The core then sends every
// message at the time the batch asks for; a reaper polls SEND_REAP while this client has
// batches running (backing off from 1 ms to 4 ms while nothing finishes, many reports per
// reap) and resolves each send() with its report.
//
//   const b = new SendBatch({ timing: 'asap' });
//   const d = b.dest({ ip: '198.18.1.2', port: 5000 });
//   for (let i = 0; i < 1000; i++) b.add(d, payload);
//   const report = await mf.send(b);     // { sent, late, dropped: { deadline, ... }, lateness }
import type { Manifold } from './client.js';
import {
  ClosedError,
  CoreGoneError,
  ManifoldError,
  RequestRejectedError,
  SendBackpressureError,
  errnoNumber,
} from './errors.js';
import { SO, SendOp } from './send-abi.js';
import { SendBatch } from './send-batch.js';
import { decodeLateness, decodeReport, type LatenessReport, type SendReport } from './send-report.js';
import { ARENA_SLOT_SIZE, BULK_SLOT_SIZE, RING_SIZE } from './structs.js';
import { batchFromObject, type SendBatchObject } from '../apps/send/validate.js';

export interface SendOptions {
  /** On backpressure (EAGAIN/ENOBUFS) wait for this client's batches to finish and submit
   * again instead of rejecting with SendBackpressureError (default false). */
  waitForRoom?: boolean;
  /** With waitForRoom: give up after this many ms (default 30000). */
  roomTimeoutMs?: number;
}

interface Waiter {
  frames: boolean;
  /** timing 'asap' without frames: done as soon as the port has taken it */
  asap: boolean;
  skipped: number;
  /** reap generation when registered: a reap issued later knows of this batch */
  gen: number;
  resolve(r: SendReport): void;
  reject(e: ManifoldError): void;
}

/** Chunk requests issued and not yet answered per batch: twice the request ring, so that the
 * next ones wait queued in the client when completions free ring entries. */
const SUBMIT_WINDOW = 2 * RING_SIZE;
/** Reports kept for batches not registered yet (see Sender.early); the oldest go past this. */
const EARLY_MAX = 1024;
const REAP_MIN_MS = 1;
const REAP_MAX_MS = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function submitArg(batch: SendBatch, id: number, flags: number, total: number): Buffer {
  const A = SO.arg;
  const a = Buffer.allocUnsafe(A.size).fill(0); // from Node's pool: one per chunk
  a.writeUInt32LE(id, A.batch);
  a.writeUInt16LE(flags, A.flags);
  if (id === 0) {
    a.writeUInt8(batch.timingValue, A.timing);
    a.writeUInt32LE(total, A.total);
    a.writeBigUInt64LE(batch.start, A.start_ns);
    a.writeBigUInt64LE(batch.end, A.end_ns);
    a.writeBigUInt64LE(batch.interval, A.interval_ns);
  }
  return a;
}

function reapArg(batch: number, max: number): Buffer {
  const a = Buffer.alloc(SO.reapArg.size);
  a.writeUInt32LE(batch, SO.reapArg.batch);
  a.writeUInt32LE(max, SO.reapArg.max);
  return a;
}

/** The core's refusal under the send op's name; EAGAIN/ENOBUFS become SendBackpressureError. */
function submitError(e: unknown, what: string): ManifoldError {
  if (e instanceof RequestRejectedError) {
    const init = { errno: e.status, status: e.status, reason: `${what}${e.reason}`, op: 'SEND_SUBMIT', instance: e.instance };
    return e.code === 'EAGAIN' || e.code === 'ENOBUFS' ? new SendBackpressureError(init) : new RequestRejectedError(init);
  }
  return e instanceof ManifoldError ? e : new ManifoldError({ errno: errnoNumber('EIO'), reason: String(e), op: 'SEND_SUBMIT' });
}

export class Sender {
  private readonly waiting = new Map<number, Waiter>();
  /** Reports the core handed out before their batch was registered here: a batch can finish
   * before Node has processed its last chunk's reply, and a reap issued meanwhile takes its
   * report. Kept (raw, in insertion order) until submit() registers the id. */
  private readonly early = new Map<number, Buffer>();
  private readonly drainWaiters: { max: number; resolve(): void }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private reaping = false;
  private backoffMs = REAP_MIN_MS;
  private gen = 0;

  constructor(private readonly mf: Manifold) {}

  /** Batches of this client submitted and not yet reported. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Submits a batch (or its plain-object form, validated first) and resolves with its report
   * when every message has left or been dropped. Rejects with SendInputError / SendValidationError
   * (bad input, nothing sent), RequestRejectedError (the core refused the batch, nothing
   * sent), SendBackpressureError (no room now, nothing kept), or the client's errors. */
  async send(batch: SendBatch | SendBatchObject, opts: SendOptions = {}): Promise<SendReport> {
    const b = batch instanceof SendBatch ? batch : batchFromObject(batch);
    if (!opts.waitForRoom) return this.submit(b);
    const deadline = Date.now() + (opts.roomTimeoutMs ?? 30_000);
    for (;;) {
      try {
        return await this.submit(b);
      } catch (e) {
        if (!(e instanceof SendBackpressureError) || Date.now() >= deadline) throw e;
        // Room comes back when batches finish: ours if we have any, else anyone's.
        if (this.waiting.size > 0) await this.drained(this.waiting.size - 1);
        else await sleep(5);
      }
    }
  }

  /** Resolves once at most `maxPending` of this client's batches are still running. */
  drained(maxPending = 0): Promise<void> {
    if (this.waiting.size <= maxPending) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ max: maxPending, resolve }));
  }

  /** Drops what has not left yet of batch `id` (its report counts them as 'aborted'). */
  async abort(id: number): Promise<void> {
    await this.mf.request(SendOp.SEND_ABORT, reapArg(id, 0));
  }

  /** How late packets left, per transmitting lcore and in total (SEND_LATENESS). */
  async lateness(): Promise<LatenessReport> {
    const r = await this.mf.request(SendOp.SEND_LATENESS);
    return decodeLateness(r.data);
  }

  private async submit(b: SendBatch): Promise<SendReport> {
    // A batch that fits an arena slot goes as one request there (a copy; many small sends
    // then run side by side in the ring). A bigger one goes in chunks of up to a bulk slot
    // (1 MiB, ~12,000 64-byte messages), written from the batch's buffers straight into
    // the client's bulk slots: a few requests per batch instead of hundreds, no copy in
    // Node. The batch does not change while its send() runs, so its parts may be borrowed.
    const bulk = SO.chunk.size + b.destinations * SO.dest.size + b.bytes > ARENA_SLOT_SIZE;
    const plans = b.plan(bulk ? BULK_SLOT_SIZE : ARENA_SLOT_SIZE);
    const total = b.length;
    const R = SO.reply;
    const first = plans[0]!;
    const borrow = { bulk };
    const opened = await this.mf.request(SendOp.SEND_SUBMIT, submitArg(b, 0, first.flags, total), b.chunkParts(first), borrow)
      .catch((e: unknown) => { throw submitError(e, ''); });
    const id = opened.data.readUInt32LE(R.batch);
    let skipped = opened.data.readUInt32LE(R.skipped);
    // The rest, in order, at most SUBMIT_WINDOW in flight; the first failure stops the issue.
    let failure: ManifoldError | null = null;
    let inFlight = 0;
    let wake: (() => void) | null = null;
    const settled = (): void => {
      inFlight--;
      const w = wake;
      wake = null;
      w?.();
    };
    for (let i = 1; i < plans.length && !failure; i++) {
      const p = plans[i]!;
      inFlight++;
      this.mf.request(SendOp.SEND_SUBMIT, submitArg(b, id, p.flags, total), b.chunkParts(p), borrow)
        .then((r) => { skipped += r.data.readUInt32LE(R.skipped); })
        .catch((e: unknown) => { failure ??= submitError(e, `chunk ${i + 1} of ${plans.length} (messages ${p.firstMsg}..${p.firstMsg + p.nMsgs - 1}): `); })
        .finally(settled);
      if (inFlight >= SUBMIT_WINDOW) await new Promise<void>((r) => { wake = r; });
    }
    while (inFlight > 0) await new Promise<void>((r) => { wake = r; });
    if (failure) {
      // The core discarded the batch already if a chunk was invalid; make sure either way.
      if (plans.length > 1) await this.abort(id).catch(() => undefined);
      throw failure;
    }
    const early = this.early.get(id);
    if (early) {
      this.early.delete(id);
      return decodeReport(early, 0, b.frames, skipped).report;
    }
    return new Promise<SendReport>((resolve, reject) => {
      this.waiting.set(id, { frames: b.frames, asap: b.timing === 'asap' && !b.frames, skipped, gen: this.gen, resolve, reject });
      this.schedule(0);
    });
  }

  private schedule(ms: number): void {
    if (this.timer !== null || this.reaping || this.waiting.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.reap();
    }, ms);
  }

  private async reap(): Promise<void> {
    this.reaping = true;
    const gen = ++this.gen;
    let got = 0;
    try {
      // urgent: not behind the chunks queued by the batches being submitted meanwhile
      const r = await this.mf.request(SendOp.SEND_REAP, reapArg(0, 0), undefined, { urgent: true });
      const H = SO.reapHdr;
      const count = r.data.readUInt32LE(H.count);
      const corePending = r.data.readUInt32LE(H.pending);
      let at = H.size;
      for (let i = 0; i < count && at + SO.report.size <= r.data.length; i++) {
        const id = r.data.readUInt32LE(at + SO.report.batch);
        const w = this.waiting.get(id);
        const { report, next } = decodeReport(r.data, at, w?.frames ?? false, w?.skipped ?? 0);
        if (!w) { // not registered yet (or not a batch of this Sender): keep it for submit()
          this.early.set(id, Buffer.from(r.data.subarray(at, next)));
          if (this.early.size > EARLY_MAX) this.early.delete(this.early.keys().next().value as number);
          at = next;
          continue;
        }
        at = next;
        this.waiting.delete(id);
        got++;
        w.resolve(report);
      }
      if (count === 0 && corePending === 0) {
        // The core holds nothing of ours: batches registered before this reap are lost.
        for (const [id, w] of this.waiting) {
          if (w.gen >= gen) continue;
          this.waiting.delete(id);
          w.reject(new ManifoldError({ errno: errnoNumber('ENOENT'), reason: `the core has no batch ${id} of this client any more (was it aborted by another path?)`, op: 'SEND_REAP' }));
        }
      }
    } catch (e) {
      // Closed, core gone, or the core refuses SEND_REAP (too old): no report will ever come.
      // A timeout is retried.
      if (e instanceof ClosedError || e instanceof CoreGoneError || e instanceof RequestRejectedError || this.mf.closed) {
        const err = e as ManifoldError;
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      }
    } finally {
      this.reaping = false;
    }
    // An asap batch finishes within a few ms of its commit (as fast as the port takes it):
    // backing off would leave it done and unreported for most of that time.
    let asap = false;
    for (const w of this.waiting.values()) asap ||= w.asap;
    this.backoffMs = got > 0 || asap ? REAP_MIN_MS : Math.min(this.backoffMs * 2, REAP_MAX_MS);
    this.wakeDrainWaiters();
    this.schedule(got > 0 ? 0 : this.backoffMs);
  }

  private wakeDrainWaiters(): void {
    for (let i = 0; i < this.drainWaiters.length;) {
      const w = this.drainWaiters[i]!;
      if (this.waiting.size <= w.max) {
        this.drainWaiters.splice(i, 1);
        w.resolve();
      } else {
        i++;
      }
    }
  }
}

export { SendBatch } from './send-batch.js';
export type { DestinationSpec, FrameTag, MessageOptions, SendDest, SendSettings } from './send-batch.js';
export type { FrameReport, Lateness, LatenessReport, LatenessStats, SendReport } from './send-report.js';
export { droppedTotal } from './send-report.js';
export type { SendBatchObject } from '../apps/send/validate.js';
