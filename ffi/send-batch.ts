// SendBatch: an aggregate send being built. Every add() writes the message straight into one
// growing Buffer in the wire form of include/manifold_abi_send.h (struct mf_send_msg, the
// payload, padding to 8), so a batch of millions of messages costs no object per message. At
// submit, chunks() cuts the destination table and the messages into arena-slot sized chunks.
//
//   const b = new SendBatch({ timing: 'delay' });
//   const d = b.dest({ ip: '198.18.1.2', port: 5000 });
//   b.add(d, Buffer.from('hello'), { time: 1_000_000n });   // 1 ms after the first
import { SendInputError } from './errors.js';
import {
  FrameType,
  MSG_FRAME_END,
  SEND_MAX_DESTS,
  SEND_MAX_FRAMES,
  SEND_MAX_MSGS,
  SEND_MAX_PAYLOAD,
  SO,
  SendDestKind,
  SendFlag,
  SendTiming,
  msgRecordSize,
  type FrameTypeName,
  type SendTimingName,
} from './send-abi.js';
import { ARENA_SLOT_SIZE, parseMac } from './structs.js';
import { parseIpv4 } from './stack.js';

export interface SendSettings {
  /** when each message leaves (default 'asap'); see docs/send.md */
  timing?: SendTimingName;
  /** CLOCK_MONOTONIC ns of the first departure (default: when the core commits the batch);
   * 'window' needs it */
  start?: bigint;
  /** CLOCK_MONOTONIC ns deadline: what cannot leave by then is dropped ('window' needs it) */
  end?: bigint;
  /** ns: the spacing of 'seq' messages; with frames, the frame interval */
  interval?: bigint;
  /** skip (and count as dropped 'invalid') bad messages instead of rejecting the batch */
  bestEffort?: boolean;
  /** messages carry video frames: add() then needs `frame` */
  frames?: boolean;
}

export interface DestinationSpec {
  /** destination IPv4 address, e.g. '198.18.1.2' */
  ip: string;
  /** destination UDP port, 1..65535 */
  port: number;
  /** source address (default: the egress port's address) */
  srcIp?: string;
  /** source UDP port (default: the destination port) */
  srcPort?: number;
  /** next-hop MAC: sent there without ARP */
  mac?: string;
  /** send through this policy's action chain (e.g. a replicate fan-out) */
  policy?: string;
}

export interface FrameTag {
  /** frame id, 0..2^32-1; a frame's messages are added one after another */
  id: number;
  type: FrameTypeName;
  /** last message of its frame (default: inferred, the next message starts another frame) */
  end?: boolean;
}

export interface MessageOptions {
  /** 'at': departure ns; 'delay': ns after the first departure; 'seq': sequence number */
  time?: bigint | number;
  /** the message's video frame (batches with frames: true) */
  frame?: FrameTag;
}

/** A destination of one batch: its index in the batch's destination table. */
export type SendDest = number & { readonly __sendDest: true };

/** Where one SUBMIT request's worth of a batch lies in the batch's buffers. */
export interface SendChunkPlan {
  /** MF_SEND_* flags of this chunk (COMMIT on the last; BEST_EFFORT/FRAMES on the first) */
  flags: number;
  destStart: number;
  nDests: number;
  /** byte range of its messages in the batch's message buffer */
  msgStart: number;
  msgEnd: number;
  /** index of the chunk's first message in the batch */
  firstMsg: number;
  nMsgs: number;
}

/** One SUBMIT request's worth of a batch. */
export interface SendChunk {
  /** MF_SEND_* flags of this chunk (COMMIT on the last; BEST_EFFORT/FRAMES on the first) */
  flags: number;
  /** struct mf_send_chunk, its destinations, its messages */
  input: Buffer;
  nMsgs: number;
  nDests: number;
  /** index of the chunk's first message in the batch */
  firstMsg: number;
}

const TIMINGS = Object.keys(SendTiming) as SendTimingName[];
const POLICY_ID_RE = /^[A-Za-z0-9_.:-]{1,31}$/;
const TIMED = new Set<SendTimingName>(['at', 'delay', 'seq']);
const U64_MAX = (1n << 64n) - 1n;
const MSG_DEST = SO.msg.dest;
const MSG_LEN = SO.msg.len;
const MSG_SIZE = SO.msg.size;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// add() writes a record's header as six 32-bit words (records start 8-byte aligned): time
// (two words), frame, dest | len << 16, then frame_type, flags and the reserved bytes (zero).
// The layout test pins struct mf_send_msg; this says what add() relies on of it.
const W_TIME = SO.msg.time >>> 2;
const W_FRAME = SO.msg.frame >>> 2;
const W_DEST_LEN = SO.msg.dest >>> 2;
const W_TYPE = SO.msg.frame_type >>> 2;
if (!(MSG_SIZE === 24 && SO.msg.time === 0 && SO.msg.frame === 8 && MSG_DEST === 12 && MSG_LEN === 14 &&
  SO.msg.frame_type === 16 && SO.msg.flags === 17)) {
  throw new Error('struct mf_send_msg changed: SendBatch.add() writes it as words at fixed offsets; update it');
}

/** A zeroed buffer of `bytes` (a multiple of 8) on an ArrayBuffer of its own: offset 0, so
 * 32-bit views of it line up with the records. */
function ownBuffer(bytes: number): Buffer {
  return Buffer.from(new ArrayBuffer(bytes));
}

function checkNs(v: unknown, what: string): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw new SendInputError(`${what} must be a bigint of nanoseconds 0..2^64-1 (e.g. process.hrtime.bigint() + 1_000_000n), not ${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`);
  }
  return v;
}

/** The settings as they will travel, checked: every rule the core would otherwise refuse. */
export function checkSettings(s: SendSettings): Required<Pick<SendSettings, 'timing' | 'bestEffort' | 'frames'>> & SendSettings {
  const timing = s.timing ?? 'asap';
  if (!TIMINGS.includes(timing)) throw new SendInputError(`timing must be one of ${TIMINGS.join(', ')}, not ${JSON.stringify(timing)}`);
  const start = checkNs(s.start, 'start');
  const end = checkNs(s.end, 'end');
  const interval = checkNs(s.interval, 'interval');
  if (timing === 'window') {
    if (start === undefined || end === undefined) throw new SendInputError("timing 'window' needs start and end (CLOCK_MONOTONIC ns)");
  }
  if (start !== undefined && end !== undefined && end > 0n && end <= start) {
    throw new SendInputError(`end (${end}) must be after start (${start})`);
  }
  if (timing === 'seq' && !interval) throw new SendInputError("timing 'seq' needs interval: the ns between two sequence numbers");
  if (s.frames === true) {
    if (!interval) throw new SendInputError('frames: true needs interval: the ns between two frames (e.g. 33_333_333n for 30 frames/s)');
    if (timing !== 'asap' && timing !== 'window') throw new SendInputError(`frames are paced by the core: timing must be 'asap' (from start) or 'window', not '${timing}'`);
  }
  for (const k of ['bestEffort', 'frames'] as const) {
    if (s[k] !== undefined && typeof s[k] !== 'boolean') throw new SendInputError(`${k} must be true or false`);
  }
  return { ...s, timing, bestEffort: s.bestEffort ?? false, frames: s.frames ?? false };
}

export class SendBatch {
  readonly timing: SendTimingName;
  readonly start: bigint;
  readonly end: bigint;
  readonly interval: bigint;
  readonly bestEffort: boolean;
  readonly frames: boolean;

  private dests = Buffer.alloc(SO.dest.size * 16);
  private nDests = 0;
  private buf = ownBuffer(64 * 1024);
  private words = new Uint32Array(this.buf.buffer, 0, this.buf.length >>> 2);
  private used = 0;
  /** the record size every message so far has (0: none yet, -1: they differ): plan() then
   * cuts by arithmetic instead of walking every record */
  private recSize = 0;
  private nMsgs = 0;
  private lastMsgOff = -1;
  // frames: the frame being added, and every frame id seen (a frame's messages are adjacent)
  private frameId = -1;
  private frameType = 0;
  private readonly frameIds = new Set<number>();
  private readonly timed: boolean;
  private readonly timingCode: number;

  constructor(settings: SendSettings = {}) {
    const s = checkSettings(settings);
    this.timing = s.timing;
    this.start = s.start ?? 0n;
    this.end = s.end ?? 0n;
    this.interval = s.interval ?? 0n;
    this.bestEffort = s.bestEffort;
    this.frames = s.frames;
    this.timed = TIMED.has(this.timing);
    this.timingCode = SendTiming[this.timing];
  }

  /** Messages added so far. */
  get length(): number {
    return this.nMsgs;
  }

  /** Destinations in the batch's table. */
  get destinations(): number {
    return this.nDests;
  }

  /** Bytes the messages take on the wire (headers, payloads, padding). */
  get bytes(): number {
    return this.used;
  }

  /** Frames added so far (frames: true). */
  get frameCount(): number {
    return this.frameIds.size;
  }

  /** Adds a destination to the batch's table; messages name it by the handle returned. */
  dest(spec: DestinationSpec): SendDest {
    const where = `destination ${this.nDests}`;
    const bad = (what: string): never => { throw new SendInputError(`${where}: ${what}`); };
    if (this.nDests >= SEND_MAX_DESTS) bad(`a batch has at most ${SEND_MAX_DESTS} destinations`);
    if (typeof spec !== 'object' || spec === null) bad('must be an object { ip, port }');
    const ip = typeof spec.ip === 'string' ? parseIpv4(spec.ip) : undefined;
    if (ip === undefined) bad(`ip ${JSON.stringify(spec.ip)} is not an IPv4 address; write it as 198.18.1.2`);
    if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) bad(`port must be a UDP port 1..65535, not ${JSON.stringify(spec.port)}`);
    let srcIp = 0;
    if (spec.srcIp !== undefined) {
      const v = typeof spec.srcIp === 'string' ? parseIpv4(spec.srcIp) : undefined;
      if (v === undefined) bad(`srcIp ${JSON.stringify(spec.srcIp)} is not an IPv4 address; write it as 198.18.1.1`);
      srcIp = v!;
    }
    if (spec.srcPort !== undefined && (!Number.isInteger(spec.srcPort) || spec.srcPort < 1 || spec.srcPort > 65535)) {
      bad(`srcPort must be a UDP port 1..65535, not ${JSON.stringify(spec.srcPort)}`);
    }
    const mac = spec.mac !== undefined ? (typeof spec.mac === 'string' ? parseMac(spec.mac) : undefined) : null;
    if (mac === undefined) bad(`mac ${JSON.stringify(spec.mac)} is not a MAC address; write it as 02:00:00:00:00:01`);
    if (spec.policy !== undefined && (typeof spec.policy !== 'string' || !POLICY_ID_RE.test(spec.policy))) {
      bad(`policy must be a policy id (1..31 of A-Z a-z 0-9 _ . : -), not ${JSON.stringify(spec.policy)}`);
    }
    const D = SO.dest;
    if ((this.nDests + 1) * D.size > this.dests.length) {
      const grown = Buffer.alloc(this.dests.length * 2);
      this.dests.copy(grown, 0, 0, this.nDests * D.size);
      this.dests = grown;
    }
    const at = this.nDests * D.size;
    this.dests.writeUInt32LE(ip!, at + D.ip);
    this.dests.writeUInt32LE(srcIp, at + D.src_ip);
    this.dests.writeUInt16LE(spec.port, at + D.udp_port);
    this.dests.writeUInt16LE(spec.srcPort ?? 0, at + D.src_udp_port);
    this.dests.writeUInt8(spec.policy !== undefined ? SendDestKind.POLICY : SendDestKind.ADDR, at + D.kind);
    if (mac) {
      this.dests.writeUInt8(1, at + D.has_mac);
      for (let i = 0; i < 6; i++) this.dests[at + D.mac + i] = mac[i]!;
    }
    if (spec.policy !== undefined) this.dests.write(spec.policy, at + D.policy, 31, 'latin1');
    return this.nDests++ as SendDest;
  }

  /** Appends one message for destination `d`. Throws SendInputError naming the message. */
  add(d: SendDest | number, payload: Uint8Array, opts?: MessageOptions): this {
    const index = this.nMsgs;
    if (!(d >= 0 && d < this.nDests && (d | 0) === d)) {
      throw new SendInputError(`dest ${String(d)} is not a destination of this batch; it has ${this.nDests}${this.nDests ? ` (0..${this.nDests - 1})` : ''}: add them with batch.dest()`, index);
    }
    const len = payload.length;
    if (!(len <= SEND_MAX_PAYLOAD)) throw new SendInputError(`payload is ${len} bytes; a message carries at most ${SEND_MAX_PAYLOAD}`, index);
    if (index >= SEND_MAX_MSGS) throw new SendInputError(`a batch holds at most ${SEND_MAX_MSGS} messages; send the rest in another batch`, index);
    const rec = msgRecordSize(len);
    if (this.used + rec > this.buf.length) this.grow(rec);
    const b = this.buf;
    const at = this.used;
    const M = SO.msg;
    // Every byte of the record is written (the header, the payload, its padding), so a reset
    // batch needs no zeroing: a word store costs less than a byte store here.
    const words = this.words;
    const w = at >>> 2;
    words[w + W_TIME] = 0;
    words[w + W_TIME + 1] = 0;
    words[w + W_FRAME] = 0;
    if (LITTLE_ENDIAN) {
      words[w + W_DEST_LEN] = d | (len << 16);
    } else {
      b[at + MSG_DEST] = d & 255;
      b[at + MSG_DEST + 1] = d >>> 8;
      b[at + MSG_LEN] = len & 255;
      b[at + MSG_LEN + 1] = len >>> 8;
    }
    words[w + W_TYPE] = 0;
    words[w + W_TYPE + 1] = 0;
    words[(at + rec - 8) >>> 2] = 0; // the padding: the payload overwrites what is its own
    words[(at + rec - 4) >>> 2] = 0;
    const time = opts?.time;
    if (time !== undefined) {
      if (!this.timed) throw new SendInputError(`time is only for timing at, delay or seq; this batch is '${this.timing}'`, index);
      if (typeof time === 'bigint') {
        if (time < 0n || time > U64_MAX) throw new SendInputError(`time must be 0..2^64-1 ns, not ${time}`, index);
        b.writeBigUInt64LE(time, at + M.time);
      } else {
        if (!Number.isSafeInteger(time) || time < 0) throw new SendInputError(`time must be a whole number of ns >= 0 (a bigint), not ${String(time)}`, index);
        b.writeUInt32LE(time % 0x100000000, at + M.time);
        b.writeUInt32LE(Math.floor(time / 0x100000000), at + M.time + 4);
      }
    } else if (this.timed) {
      throw new SendInputError(`timing '${this.timing}' needs a time for every message (${this.timing === 'seq' ? 'its sequence number' : 'ns'})`, index);
    }
    const frame = opts?.frame;
    if (frame !== undefined || this.frames) this.frameOf(frame, index, at);
    b.set(payload, at + MSG_SIZE);
    if (rec !== this.recSize) this.recSize = this.recSize === 0 ? rec : -1;
    this.lastMsgOff = at;
    this.used = at + rec;
    this.nMsgs = index + 1;
    return this;
  }

  /** Empties the batch of its messages, and of its destinations unless `keepDestinations`
   * (settings stay, the buffers are kept for the next one). */
  reset(keepDestinations = false): void {
    // the messages need no zeroing: add() writes every byte of a record
    if (!keepDestinations) {
      this.dests.fill(0, 0, this.nDests * SO.dest.size);
      this.nDests = 0;
    }
    this.used = 0;
    this.nMsgs = 0;
    this.recSize = 0;
    this.lastMsgOff = -1;
    this.frameId = -1;
    this.frameType = 0;
    this.frameIds.clear();
  }

  /** The SUBMIT flags of the opening chunk. */
  openFlags(): number {
    return (this.bestEffort ? SendFlag.BEST_EFFORT : 0) | (this.frames ? SendFlag.FRAMES : 0);
  }

  /** The timing as its enum value (struct mf_send_arg.timing). */
  get timingValue(): number {
    return this.timingCode;
  }

  /** The batch cut into chunks of at most `slot` bytes (an arena slot), as plans: no bytes
   * are copied until chunkInput() (or never, with chunkParts()). Destinations go first, as many per chunk as fit; a message
   * goes in the first chunk whose table already holds its destination and that has room for
   * it; the last chunk carries MF_SEND_COMMIT. */
  plan(slot = ARENA_SLOT_SIZE): SendChunkPlan[] {
    if (this.nMsgs === 0) throw new SendInputError('the batch has no message; add() at least one before sending');
    if (this.frames && this.lastMsgOff >= 0) this.buf[this.lastMsgOff + SO.msg.flags]! |= MSG_FRAME_END;
    const D = SO.dest.size;
    const out: SendChunkPlan[] = this.recSize > 0 ? this.planUniform(slot) : [];
    let d = out.length > 0 ? this.nDests : 0;
    let off = out.length > 0 ? this.used : 0;
    let m = out.length > 0 ? this.nMsgs : 0;
    // A record's dest and len are one 32-bit word of the view add() writes through (plan()
    // visits every message of a batch whose records differ in size).
    const words = this.words;
    while (d < this.nDests || off < this.used) {
      let room = slot - SO.chunk.size;
      const nd = Math.min(this.nDests - d, Math.floor(room / D));
      room -= nd * D;
      const msgStart = off;
      const first = m;
      while (off < this.used) {
        const destLen = LITTLE_ENDIAN ? words[(off >>> 2) + W_DEST_LEN]! : this.buf.readUInt16LE(off + MSG_DEST) | (this.buf.readUInt16LE(off + MSG_LEN) << 16);
        const rec = msgRecordSize(destLen >>> 16);
        if (rec > room || (destLen & 0xffff) >= d + nd) break;
        room -= rec;
        off += rec;
        m++;
      }
      if (nd === 0 && m === first) throw new Error(`SendBatch.plan: a slot of ${slot} bytes cannot hold message ${m}`);
      out.push({ flags: 0, destStart: d, nDests: nd, msgStart, msgEnd: off, firstMsg: first, nMsgs: m - first });
      d += nd;
    }
    out[0]!.flags |= this.openFlags();
    out[out.length - 1]!.flags |= SendFlag.COMMIT;
    return out;
  }

  /** plan() of a batch whose records all have one size and whose destinations all fit its
   * first chunk (so no message waits for a later chunk's table): the cuts by arithmetic, the
   * same as the walk would make. Empty when that does not hold. */
  private planUniform(slot: number): SendChunkPlan[] {
    const R = this.recSize;
    const head = slot - SO.chunk.size;
    const destBytes = this.nDests * SO.dest.size;
    if (R <= 0 || destBytes > head || R > head) return [];
    const out: SendChunkPlan[] = [];
    let first = 0;
    let room = head - destBytes;
    while (first < this.nMsgs || out.length === 0) {
      const n = Math.min(this.nMsgs - first, Math.floor(room / R));
      const dests = out.length === 0 ? this.nDests : 0;
      if (dests === 0 && n === 0) break;
      out.push({ flags: 0, destStart: out.length === 0 ? 0 : this.nDests, nDests: dests, msgStart: first * R, msgEnd: (first + n) * R, firstMsg: first, nMsgs: n });
      first += n;
      room = head;
    }
    return out;
  }

  /** The bytes of one planned chunk: struct mf_send_chunk, its destinations, its messages. */
  chunkInput(p: SendChunkPlan): Buffer {
    const C = SO.chunk;
    const D = SO.dest.size;
    const input = Buffer.allocUnsafe(C.size + p.nDests * D + (p.msgEnd - p.msgStart));
    input.writeUInt32LE(p.nMsgs, C.n_msgs);
    input.writeUInt16LE(p.nDests, C.n_dests);
    input.writeUInt16LE(0, C.n_dests + 2);
    this.dests.copy(input, C.size, p.destStart * D, (p.destStart + p.nDests) * D);
    this.buf.copy(input, C.size + p.nDests * D, p.msgStart, p.msgEnd);
    return input;
  }

  /** The bytes of one planned chunk without copying them: its struct mf_send_chunk, then
   * views of the batch's destination and message buffers (valid until the batch changes). */
  chunkParts(p: SendChunkPlan): Uint8Array[] {
    const C = SO.chunk;
    const D = SO.dest.size;
    // allocUnsafe takes a slice of Node's shared pool: a chunk's 8 bytes cost no allocation
    // of their own (hundreds of chunks per batch); every byte is written below
    const head = Buffer.allocUnsafe(C.size).fill(0);
    head.writeUInt32LE(p.nMsgs, C.n_msgs);
    head.writeUInt16LE(p.nDests, C.n_dests);
    const parts: Uint8Array[] = [head];
    if (p.nDests > 0) parts.push(this.dests.subarray(p.destStart * D, (p.destStart + p.nDests) * D));
    if (p.msgEnd > p.msgStart) parts.push(this.buf.subarray(p.msgStart, p.msgEnd));
    return parts;
  }

  /** plan() with every chunk's bytes. */
  chunks(slot = ARENA_SLOT_SIZE): SendChunk[] {
    return this.plan(slot).map((p) => ({ flags: p.flags, input: this.chunkInput(p), nMsgs: p.nMsgs, nDests: p.nDests, firstMsg: p.firstMsg }));
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.used + need) cap *= 2;
    const grown = ownBuffer(cap);
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
    this.words = new Uint32Array(grown.buffer, 0, cap >>> 2);
  }

  /** Checks and writes the frame fields of the message at `at`; ends the previous frame. */
  private frameOf(frame: FrameTag | undefined, index: number, at: number): void {
    if (!this.frames) throw new SendInputError('frame is only for batches created with frames: true', index);
    if (frame === undefined || typeof frame !== 'object') throw new SendInputError('this batch carries frames: give frame { id, type }', index);
    const { id } = frame;
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new SendInputError(`frame.id must be a whole number 0..2^32-1, not ${JSON.stringify(id)}`, index);
    const type = FrameType[frame.type];
    if (type === undefined) throw new SendInputError(`frame.type must be 'I', 'P' or 'B', not ${JSON.stringify(frame.type)}`, index);
    const b = this.buf;
    const M = SO.msg;
    if (id !== this.frameId) {
      if (this.frameIds.has(id)) throw new SendInputError(`frame ${id} was already closed by other messages; a frame's messages must be added one after another`, index);
      if (this.frameIds.size >= SEND_MAX_FRAMES) throw new SendInputError(`a batch carries at most ${SEND_MAX_FRAMES} frames`, index);
      if (this.lastMsgOff >= 0) b[this.lastMsgOff + M.flags]! |= MSG_FRAME_END;
      this.frameIds.add(id);
      this.frameId = id;
      this.frameType = type;
    } else if (type !== this.frameType) {
      throw new SendInputError(`frame ${id} is type ${frame.type} here but began as ${Object.keys(FrameType)[this.frameType - 1]}; a frame has one type`, index);
    } else if (this.lastMsgOff >= 0 && (b[this.lastMsgOff + M.flags]! & MSG_FRAME_END) !== 0) {
      throw new SendInputError(`frame ${id} already ended (end: true on the message before)`, index);
    }
    b.writeUInt32LE(id, at + M.frame);
    b[at + M.frame_type] = type;
    b[at + M.flags] = frame.end ? MSG_FRAME_END : 0;
  }
}
