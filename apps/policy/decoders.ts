// Receivers' side of split: put back together what the core cut.
//
//   SplitDatagramDecoder  split mode "datagram" with header: each datagram starts with
//                         message id u32, index u16, count u16 (big-endian); the pieces of one
//                         message are joined in index order once all `count` have arrived, in
//                         whatever order they came.
//   FramedDecoder         split mode "framed": datagrams carry whole length-prefixed messages
//                         (u16 or u32, big-endian, not counting the prefix); an oversize message
//                         the core cut ("fragment") continues in the next datagrams, in order.
//   decodeAggregated      aggregate: one packed datagram -> its messages, in order. The same
//                         form as framed, but aggregate never cuts a message, so every one
//                         must be whole.
import { SPLIT_HEADER_LEN } from './split.js';

export class SplitDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SplitDecodeError';
  }
}

interface Partial { count: number; got: number; pieces: (Buffer | undefined)[]; since: number }

export class SplitDatagramDecoder {
  private readonly open = new Map<number, Partial>();
  /** messages given up on (pieces missing past maxAgeMs) */
  expired = 0;

  /** maxOpen bounds the messages held at once; the oldest goes first when it is exceeded. */
  constructor(private readonly maxOpen = 4096, private readonly maxAgeMs = 5000) {}

  /** One datagram's payload; returns the whole message once its last piece is in. */
  push(d: Buffer, now = Date.now()): Buffer | undefined {
    if (d.length < SPLIT_HEADER_LEN) throw new SplitDecodeError(`datagram of ${d.length} bytes is shorter than the ${SPLIT_HEADER_LEN}-byte split header`);
    const id = d.readUInt32BE(0);
    const index = d.readUInt16BE(4);
    const count = d.readUInt16BE(6);
    if (count === 0 || index >= count) throw new SplitDecodeError(`split header: index ${index} of count ${count} is impossible`);
    if (count === 1) return Buffer.from(d.subarray(SPLIT_HEADER_LEN));
    let p = this.open.get(id);
    if (p !== undefined && p.count !== count) {
      // Ids wrap (u32 per core lcore): a new message reusing the id replaces the stale one.
      this.open.delete(id);
      this.expired++;
      p = undefined;
    }
    if (p === undefined) {
      this.gc(now);
      p = { count, got: 0, pieces: new Array<Buffer | undefined>(count).fill(undefined), since: now };
      this.open.set(id, p);
    }
    if (p.pieces[index] === undefined) {
      p.pieces[index] = Buffer.from(d.subarray(SPLIT_HEADER_LEN));
      p.got++;
    }
    if (p.got < p.count) return undefined;
    this.open.delete(id);
    return Buffer.concat(p.pieces as Buffer[]);
  }

  /** messages still waiting for pieces */
  get pending(): number {
    return this.open.size;
  }

  private gc(now: number): void {
    for (const [id, p] of this.open) {
      if (this.open.size < this.maxOpen && now - p.since <= this.maxAgeMs) break;
      this.open.delete(id);
      this.expired++;
    }
  }
}

export class FramedDecoder {
  private partial: Buffer[] = [];
  private partialLen = 0;
  private need = -1; // bytes of the message being joined, prefix included; -1: none

  constructor(readonly prefix: 'u16' | 'u32' = 'u16') {}

  private get pre(): number {
    return this.prefix === 'u32' ? 4 : 2;
  }

  private lenAt(b: Buffer, at: number): number {
    return this.prefix === 'u32' ? b.readUInt32BE(at) : b.readUInt16BE(at);
  }

  /** One datagram's payload; returns the messages it completes (without their prefixes). */
  push(d: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    if (this.need >= 0) {
      const take = Math.min(d.length, this.need - this.partialLen);
      this.partial.push(d.subarray(0, take));
      this.partialLen += take;
      at = take;
      if (this.partialLen < this.need) return out;
      out.push(Buffer.concat(this.partial).subarray(this.pre));
      this.partial = [];
      this.partialLen = 0;
      this.need = -1;
    }
    while (at < d.length) {
      if (at + this.pre > d.length) throw new SplitDecodeError(`framed: ${d.length - at} bytes at offset ${at} are too few for a ${this.prefix} length prefix`);
      const total = this.pre + this.lenAt(d, at);
      if (at + total <= d.length) {
        out.push(Buffer.from(d.subarray(at + this.pre, at + total)));
        at += total;
        continue;
      }
      // An oversize message the core cut: it alone fills this datagram and goes on in the next.
      if (at !== 0) throw new SplitDecodeError(`framed: the message at offset ${at} needs ${total} bytes but ${d.length - at} remain`);
      this.partial = [Buffer.from(d)];
      this.partialLen = d.length;
      this.need = total;
      break;
    }
    return out;
  }

  /** true while an oversize message waits for its next piece */
  get joining(): boolean {
    return this.need >= 0;
  }
}

/** Length-prefixed encoding of `msgs` (what a framed sender puts in one datagram). */
export function encodeFramed(msgs: readonly Buffer[], prefix: 'u16' | 'u32' = 'u16'): Buffer {
  const parts: Buffer[] = [];
  for (const m of msgs) {
    const h = Buffer.alloc(prefix === 'u32' ? 4 : 2);
    if (prefix === 'u32') h.writeUInt32BE(m.length, 0);
    else h.writeUInt16BE(m.length, 0);
    parts.push(h, m);
  }
  return Buffer.concat(parts);
}

/** The messages an aggregate action packed into one datagram's payload, in the order they
 * came: each is preceded by its length (u16 or u32, big-endian, as the action's `prefix`).
 * Throws SplitDecodeError naming the offset when the payload is not whole messages. */
export function decodeAggregated(d: Buffer, prefix: 'u16' | 'u32' = 'u16'): Buffer[] {
  const pre = prefix === 'u32' ? 4 : 2;
  const out: Buffer[] = [];
  let at = 0;
  while (at < d.length) {
    if (at + pre > d.length) throw new SplitDecodeError(`aggregated: ${d.length - at} bytes at offset ${at} are too few for a ${prefix} length prefix`);
    const len = prefix === 'u32' ? d.readUInt32BE(at) : d.readUInt16BE(at);
    if (at + pre + len > d.length) throw new SplitDecodeError(`aggregated: the message at offset ${at} says ${len} bytes but ${d.length - at - pre} remain`);
    out.push(Buffer.from(d.subarray(at + pre, at + pre + len)));
    at += pre + len;
  }
  return out;
}
