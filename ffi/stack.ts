// The stack (include/manifold_abi_stack.h): the core's addresses and gateways, its neighbour
// cache, and UDP sockets for apps. Reached as `client.stack`:
//
//   const mf = Manifold.attach('lab');
//   await mf.stack.addresses.add(0, '198.18.0.1/24');
//   const sock = await mf.stack.udp.bind('198.18.0.1', 9000);
//   sock.sendTo('198.18.0.2', 9000, Buffer.from('hello'));   // batched, see below
//   for await (const d of sock) console.log(d.from, d.data);
//
// Nothing here costs one native call per datagram: sendTo() queues, and the queue leaves as
// UDP_SEND requests of up to one arena slot (16 KiB) each; receiving asks UDP_RECV for as many
// datagrams as fit one slot per request. The structs are checked by test/unit/abi-layout.test.ts
// (STACK_STRUCTS) like those of structs.ts.
import koffi, { type TypeObject } from 'koffi';
import type { Manifold } from './client.js';
import { ManifoldError, errnoNumber } from './errors.js';
import { ARENA_SLOT_SIZE, formatMac } from './structs.js';

export const OP_STACK_FIRST = 32;
/** enum mf_stack_op, without the MF_OP_ prefix. */
export const StackOp = {
  ADDR_ADD: 32,
  ADDR_LIST: 33,
  GATEWAY_SET: 34,
  NEIGH_LIST: 35,
  UDP_BIND: 36,
  UDP_CLOSE: 37,
  UDP_RECV: 38,
  UDP_SEND: 39,
} as const;
export const OP_STACK_LAST = 40;
/** enum mf_neigh_state, lower case. */
export const NeighState = { free: 0, incomplete: 1, reachable: 2, stale: 3, failed: 4 } as const;
export type NeighStateName = keyof typeof NeighState;
export const STACK_MAX_ADDRS = 8;
export const UDP_MAX_SOCKETS = 64;
export const UDP_MAX_PAYLOAD = 16000;

export const MfAddrArg = koffi.struct('mf_addr_arg', {
  port: 'uint16_t', prefix_len: 'uint8_t', reserved: 'uint8_t', ip: 'uint32_t',
});
export const MfAddrInfo = koffi.struct('mf_addr_info', {
  ip: 'uint32_t', gateway: 'uint32_t', port: 'uint16_t', prefix_len: 'uint8_t', reserved: 'uint8_t',
});
export const MfGatewayArg = koffi.struct('mf_gateway_arg', {
  port: 'uint16_t', reserved: 'uint16_t', gateway: 'uint32_t',
});
export const MfNeighInfo = koffi.struct('mf_neigh_info', {
  ip: 'uint32_t', port: 'uint16_t', state: 'uint8_t', reserved: 'uint8_t',
  mac: koffi.array('uint8_t', 6), queued: 'uint16_t', age_ms: 'uint32_t', probes: 'uint32_t',
});
export const MfUdpBindArg = koffi.struct('mf_udp_bind_arg', {
  ip: 'uint32_t', port: 'uint16_t', reserved: 'uint16_t',
});
export const MfUdpBindReply = koffi.struct('mf_udp_bind_reply', { sock: 'uint32_t', reserved: 'uint32_t' });
export const MfUdpSockArg = koffi.struct('mf_udp_sock_arg', { sock: 'uint32_t', max: 'uint32_t' });
export const MfUdpBatchHdr = koffi.struct('mf_udp_batch_hdr', { count: 'uint32_t', pending: 'uint32_t' });
export const MfUdpRec = koffi.struct('mf_udp_rec', {
  ip: 'uint32_t', local_ip: 'uint32_t', port: 'uint16_t', local_port: 'uint16_t', len: 'uint32_t',
});
export const MfUdpSendReply = koffi.struct('mf_udp_send_reply', {
  accepted: 'uint32_t', no_route: 'uint32_t', no_mbuf: 'uint32_t', queue_full: 'uint32_t',
});

/** Every stack struct by its C name (the layout test walks this with STRUCTS). */
export const STACK_STRUCTS: Readonly<Record<string, TypeObject>> = {
  mf_addr_arg: MfAddrArg,
  mf_addr_info: MfAddrInfo,
  mf_gateway_arg: MfGatewayArg,
  mf_neigh_info: MfNeighInfo,
  mf_udp_bind_arg: MfUdpBindArg,
  mf_udp_bind_reply: MfUdpBindReply,
  mf_udp_sock_arg: MfUdpSockArg,
  mf_udp_batch_hdr: MfUdpBatchHdr,
  mf_udp_rec: MfUdpRec,
  mf_udp_send_reply: MfUdpSendReply,
};

const HDR = 8; // sizeof(struct mf_udp_batch_hdr)
const REC = 16; // sizeof(struct mf_udp_rec)

export interface AddressInfo { port: number; ip: string; prefixLen: number; cidr: string; gateway: string | null }
export interface Neighbour { port: number; ip: string; mac: string | null; state: NeighStateName; queued: number; ageMs: number; probes: number }
export interface Endpoint { ip: string; port: number }
export interface Datagram { from: Endpoint; to: Endpoint; data: Buffer }
export interface SendTotals { accepted: number; noRoute: number; noMbuf: number; queueFull: number }

function invalid(op: string, reason: string): ManifoldError {
  return new ManifoldError({ errno: errnoNumber('EINVAL'), reason, op });
}

/** "198.18.0.1" -> 0xc6120001, or undefined when it is not a dotted quad. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  if (b.some((x) => x > 255)) return undefined;
  return ((b[0]! << 24) >>> 0) + (b[1]! << 16) + (b[2]! << 8) + b[3]!;
}

export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function ipArg(op: string, what: string, s: string): number {
  const v = parseIpv4(s);
  if (v === undefined) throw invalid(op, `${what} '${s}' is not an IPv4 address; write it as 198.18.0.1`);
  return v;
}

function udpPort(op: string, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalid(op, `UDP port must be an integer 1..65535, not ${String(p)}`);
  return p;
}

function encode(type: TypeObject, value: Record<string, unknown>): Buffer {
  const buf = Buffer.alloc(koffi.sizeof(type));
  koffi.encode(buf, 0, type, value);
  return buf;
}

/** Decodes a UDP_RECV reply: header, then records. */
export function parseUdpBatch(data: Buffer): { datagrams: Datagram[]; pending: number } {
  const count = data.readUInt32LE(0);
  const pending = data.readUInt32LE(4);
  const datagrams: Datagram[] = [];
  let off = HDR;
  for (let i = 0; i < count && off + REC <= data.length; i++) {
    const len = data.readUInt32LE(off + 12);
    datagrams.push({
      from: { ip: formatIpv4(data.readUInt32LE(off)), port: data.readUInt16LE(off + 8) },
      to: { ip: formatIpv4(data.readUInt32LE(off + 4)), port: data.readUInt16LE(off + 10) },
      data: Buffer.from(data.subarray(off + REC, off + REC + len)),
    });
    off += REC + ((len + 3) & ~3);
  }
  return { datagrams, pending };
}

interface Outgoing { ip: number; port: number; data: Uint8Array }

/** A UDP socket bound on the core, owned by this client (closed when it detaches or dies). */
export class UdpSocket implements AsyncIterable<Datagram> {
  private out: Outgoing[] = [];
  private flushQueued = false;
  private inFlight: Promise<void>[] = [];
  private closedFlag = false;
  private readonly totals: SendTotals = { accepted: 0, noRoute: 0, noMbuf: 0, queueFull: 0 };
  /** Milliseconds the receive loop waits when the queue was empty (default 1). */
  idleMs = 1;

  constructor(private readonly m: Manifold, readonly handle: number, readonly local: Endpoint) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Queues one datagram (up to UDP_MAX_PAYLOAD bytes); it leaves with the others queued in
   * this tick, in one or a few UDP_SEND requests. flush() tells what became of them. */
  sendTo(ip: string, port: number, data: Uint8Array): void {
    if (this.closedFlag) throw invalid('UDP_SEND', `socket ${this.local.ip}:${this.local.port} is closed`);
    if (data.length > UDP_MAX_PAYLOAD) throw invalid('UDP_SEND', `datagram of ${data.length} bytes; at most ${UDP_MAX_PAYLOAD} fit one record`);
    this.out.push({ ip: ipArg('UDP_SEND', 'destination', ip), port: udpPort('UDP_SEND', port), data });
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.submit());
    }
  }

  /** Waits for every queued datagram to be handed to the core; returns the totals so far. */
  async flush(): Promise<SendTotals> {
    this.submit();
    while (this.inFlight.length > 0) await Promise.all(this.inFlight.splice(0));
    return { ...this.totals };
  }

  private submit(): void {
    this.flushQueued = false;
    while (this.out.length > 0) {
      let size = HDR;
      let n = 0;
      while (n < this.out.length) {
        const rec = REC + ((this.out[n]!.data.length + 3) & ~3);
        if (size + rec > ARENA_SLOT_SIZE) break;
        size += rec;
        n++;
      }
      const batch = this.out.splice(0, n);
      const buf = Buffer.alloc(size);
      buf.writeUInt32LE(n, 0);
      let off = HDR;
      for (const o of batch) {
        buf.writeUInt32LE(o.ip, off);
        buf.writeUInt16LE(o.port, off + 8);
        buf.writeUInt32LE(o.data.length, off + 12);
        buf.set(o.data, off + REC);
        off += REC + ((o.data.length + 3) & ~3);
      }
      const p = this.m.request(StackOp.UDP_SEND, encode(MfUdpSockArg, { sock: this.handle, max: 0 }), buf).then((r) => {
        const rep = koffi.decode(r.data, 0, MfUdpSendReply) as { accepted: number; no_route: number; no_mbuf: number; queue_full: number };
        this.totals.accepted += rep.accepted;
        this.totals.noRoute += rep.no_route;
        this.totals.noMbuf += rep.no_mbuf;
        this.totals.queueFull += rep.queue_full;
      });
      this.inFlight.push(p);
      void p.catch(() => undefined).finally(() => {
        const i = this.inFlight.indexOf(p);
        if (i >= 0) this.inFlight.splice(i, 1);
      });
    }
  }

  /** One UDP_RECV: what is queued now, as many as fit one arena slot (at most `max`). */
  async recv(max = 0): Promise<Datagram[]> {
    return (await this.recvBatch(max)).datagrams;
  }

  async recvBatch(max = 0): Promise<{ datagrams: Datagram[]; pending: number }> {
    const r = await this.m.request(StackOp.UDP_RECV, encode(MfUdpSockArg, { sock: this.handle, max }));
    return parseUdpBatch(r.data);
  }

  /** One or, while datagrams keep coming, `depth` UDP_RECV requests in flight at once (the
   * core answers them in order, so the order of datagrams is kept). */
  private async recvPipelined(depth: number): Promise<{ datagrams: Datagram[]; pending: number }> {
    if (depth <= 1) return this.recvBatch();
    const all = await Promise.all(Array.from({ length: depth }, () => this.recvBatch()));
    return { datagrams: all.flatMap((b) => b.datagrams), pending: all[all.length - 1]!.pending };
  }

  /** Calls `cb` for every datagram until the returned function is called (or the socket
   * closes). Errors other than a closed socket go to `onError` (default: stop silently). */
  onMessage(cb: (d: Datagram) => void, onError?: (e: unknown) => void): () => void {
    let stopped = false;
    const loop = async (): Promise<void> => {
      let busy = false;
      while (!stopped && !this.closedFlag) {
        const { datagrams, pending } = await this.recvPipelined(busy ? 4 : 1);
        for (const d of datagrams) cb(d);
        busy = pending > 0;
        if (datagrams.length === 0 && pending === 0) await new Promise((r) => setTimeout(r, this.idleMs));
      }
    };
    loop().catch((e: unknown) => {
      if (!stopped && !this.closedFlag) onError?.(e);
    });
    return () => {
      stopped = true;
    };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Datagram> {
    let busy = false;
    while (!this.closedFlag) {
      const { datagrams, pending } = await this.recvPipelined(busy ? 4 : 1);
      busy = pending > 0;
      for (const d of datagrams) yield d;
      if (datagrams.length === 0 && pending === 0) await new Promise((r) => setTimeout(r, this.idleMs));
    }
  }

  async close(): Promise<void> {
    if (this.closedFlag) return;
    await this.flush().catch(() => undefined);
    this.closedFlag = true;
    await this.m.request(StackOp.UDP_CLOSE, encode(MfUdpSockArg, { sock: this.handle, max: 0 }));
  }
}

export class Stack {
  constructor(private readonly m: Manifold) {}

  /** The core's addresses: add one at run time (`cidr` like "198.18.0.1/24"), list them. */
  readonly addresses = {
    add: async (port: number, cidr: string): Promise<void> => {
      const [ip, len] = cidr.split('/');
      const prefix = Number(len);
      if (len === undefined || !Number.isInteger(prefix) || prefix < 1 || prefix > 32) {
        throw invalid('ADDR_ADD', `'${cidr}' has no prefix 1..32; write it as 198.18.0.1/24`);
      }
      await this.m.request(StackOp.ADDR_ADD, encode(MfAddrArg, { port, prefix_len: prefix, reserved: 0, ip: ipArg('ADDR_ADD', 'address', ip ?? '') }));
    },
    list: async (): Promise<AddressInfo[]> => {
      const r = await this.m.request(StackOp.ADDR_LIST);
      const n = r.data.readUInt32LE(0);
      const size = koffi.sizeof(MfAddrInfo);
      const out: AddressInfo[] = [];
      for (let i = 0; i < n; i++) {
        const a = koffi.decode(r.data, 4 + i * size, MfAddrInfo) as { ip: number; gateway: number; port: number; prefix_len: number };
        out.push({ port: a.port, ip: formatIpv4(a.ip), prefixLen: a.prefix_len, cidr: `${formatIpv4(a.ip)}/${a.prefix_len}`, gateway: a.gateway ? formatIpv4(a.gateway) : null });
      }
      return out;
    },
  };

  /** Sets (or with null removes) the default gateway reached through `port`. */
  async setGateway(port: number, ip: string | null): Promise<void> {
    await this.m.request(StackOp.GATEWAY_SET, encode(MfGatewayArg, { port, reserved: 0, gateway: ip === null ? 0 : ipArg('GATEWAY_SET', 'gateway', ip) }));
  }

  /** The neighbour cache of every port. */
  async neigh(): Promise<Neighbour[]> {
    const r = await this.m.request(StackOp.NEIGH_LIST);
    const n = r.data.readUInt32LE(0);
    const size = koffi.sizeof(MfNeighInfo);
    const names = Object.keys(NeighState) as NeighStateName[];
    const out: Neighbour[] = [];
    for (let i = 0; i < n; i++) {
      const e = koffi.decode(r.data, 4 + i * size, MfNeighInfo) as { ip: number; port: number; state: number; mac: number[]; queued: number; age_ms: number; probes: number };
      const known = e.state === NeighState.reachable || e.state === NeighState.stale;
      out.push({ port: e.port, ip: formatIpv4(e.ip), mac: known ? formatMac(e.mac) : null, state: names[e.state] ?? 'free', queued: e.queued, ageMs: e.age_ms, probes: e.probes });
    }
    return out;
  }

  /** UDP sockets: bind(ip, port) with ip one of the core's addresses or '0.0.0.0'. */
  readonly udp = {
    bind: async (ip: string, port: number): Promise<UdpSocket> => {
      const r = await this.m.request(StackOp.UDP_BIND, encode(MfUdpBindArg, { ip: ipArg('UDP_BIND', 'address', ip), port: udpPort('UDP_BIND', port), reserved: 0 }));
      return new UdpSocket(this.m, r.data.readUInt32LE(0), { ip, port });
    },
  };
}
