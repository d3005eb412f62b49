// SendBatch's wire form against the ABI: every chunk decoded back with the koffi structs of
// ffi/send-abi.ts (whose layout abi-layout.test.ts holds against the C compiler), the cutting
// into arena slots, frame END flags, what add() refuses, and the report/lateness decoders.
import { expect } from 'chai';
import koffi from 'koffi';
import {
  FrameType,
  LAT_BUCKETS,
  MSG_FRAME_END,
  MfSendChunk,
  MfSendDest,
  MfSendMsg,
  SEND_DROP_REASONS,
  SEND_MAX_PAYLOAD,
  SO,
  SendDestKind,
  SendFlag,
  msgRecordSize,
} from '../../ffi/send-abi.js';
import { SendBatch, type SendChunk } from '../../ffi/send-batch.js';
import { bucketQuantile, decodeLateness, decodeReport } from '../../ffi/send-report.js';
import { SendInputError } from '../../ffi/errors.js';
import { ARENA_SLOT_SIZE, BULK_SLOT_SIZE } from '../../ffi/structs.js';

interface RawDest { ip: number; src_ip: number; udp_port: number; src_udp_port: number; kind: number; has_mac: number; mac: number[]; policy: string }
interface RawMsg { time: number | bigint; frame: number; dest: number; len: number; frame_type: number; flags: number; reserved: number[] }
interface Decoded { nMsgs: number; nDests: number; dests: RawDest[]; msgs: (RawMsg & { payload: Buffer })[] }

/** One chunk's input, decoded with koffi (not with the offsets the encoder used). */
function decodeChunk(c: SendChunk): Decoded {
  const b = c.input;
  const hdr = koffi.decode(b, 0, MfSendChunk) as { n_msgs: number; n_dests: number };
  let at = koffi.sizeof(MfSendChunk);
  const dests: RawDest[] = [];
  for (let i = 0; i < hdr.n_dests; i++, at += koffi.sizeof(MfSendDest)) dests.push(koffi.decode(b, at, MfSendDest) as RawDest);
  const msgs: Decoded['msgs'] = [];
  for (let i = 0; i < hdr.n_msgs; i++) {
    const m = koffi.decode(b, at, MfSendMsg) as RawMsg;
    const start = at + koffi.sizeof(MfSendMsg);
    const padded = (m.len + 7) & ~7;
    expect(b.subarray(start + m.len, start + padded).every((x) => x === 0), 'padding is zero').to.equal(true);
    msgs.push({ ...m, payload: Buffer.from(b.subarray(start, start + m.len)) });
    at = start + padded;
  }
  expect(at, 'the chunk ends where its last message does').to.equal(b.length);
  return { nMsgs: hdr.n_msgs, nDests: hdr.n_dests, dests, msgs };
}

describe('SendBatch wire form', function () {
  this.timeout(20_000); // a shared 2-core machine: koffi decodes thousands of records here
  it('encodes destinations and messages field by field, payloads padded to 8', () => {
    const b = new SendBatch({ timing: 'delay' });
    const d0 = b.dest({ ip: '198.18.1.2', port: 5000 });
    const d1 = b.dest({ ip: '198.18.2.3', port: 6001, srcIp: '198.18.2.1', srcPort: 4000, mac: '02:00:00:00:00:0a' });
    const d2 = b.dest({ ip: '198.18.3.4', port: 7000, policy: 'fanout' });
    b.add(d0, Buffer.from('hello'), { time: 0n });
    b.add(d1, new Uint8Array(8).fill(7), { time: 1_000_000n });
    b.add(d2, new Uint8Array(0), { time: 2_000_000 });
    b.add(d0, Buffer.alloc(SEND_MAX_PAYLOAD, 1), { time: 2n ** 40n });
    expect(b.length).to.equal(4);
    expect(b.bytes).to.equal(msgRecordSize(5) + msgRecordSize(8) + msgRecordSize(0) + msgRecordSize(SEND_MAX_PAYLOAD));
    const chunks = b.chunks();
    expect(chunks).to.have.length(1);
    expect(chunks[0]!.flags).to.equal(SendFlag.COMMIT);
    const c = decodeChunk(chunks[0]!);
    expect(c.nDests).to.equal(3);
    expect(c.dests[0]).to.deep.include({ ip: 0xc6120102, src_ip: 0, udp_port: 5000, src_udp_port: 0, kind: SendDestKind.ADDR, has_mac: 0 });
    expect(c.dests[1]).to.deep.include({ ip: 0xc6120203, src_ip: 0xc6120201, udp_port: 6001, src_udp_port: 4000, has_mac: 1 });
    expect(Array.from(c.dests[1]!.mac)).to.deep.equal([2, 0, 0, 0, 0, 10]);
    expect(c.dests[2]).to.deep.include({ kind: SendDestKind.POLICY, policy: 'fanout' });
    expect(c.msgs.map((m) => [Number(m.time), m.dest, m.len])).to.deep.equal([[0, 0, 5], [1e6, 1, 8], [2e6, 2, 0], [2 ** 40, 0, SEND_MAX_PAYLOAD]]);
    expect(c.msgs[0]!.payload.toString()).to.equal('hello');
    expect(c.msgs[3]!.payload.every((x) => x === 1)).to.equal(true);
    expect(c.msgs.every((m) => m.frame === 0 && m.frame_type === 0 && m.flags === 0)).to.equal(true);
  });

  it('chunkParts() (views, what send() submits) carries the same bytes as chunkInput()', () => {
    const b = new SendBatch({ timing: 'delay' });
    const ds = Array.from({ length: 300 }, (_, i) => b.dest({ ip: '198.18.1.2', port: 20000 + i }));
    for (let i = 0; i < 2000; i++) b.add(ds[(i * 13) % 300]!, Buffer.alloc(1 + (i % 97), i & 255), { time: BigInt(i) * 1000n });
    const plans = b.plan();
    expect(plans.length).to.be.greaterThan(3);
    for (const p of plans) {
      const parts = b.chunkParts(p);
      expect(Buffer.concat(parts).equals(b.chunkInput(p))).to.equal(true);
      // views, not copies: the message part shares the batch's memory
      if (p.nMsgs > 0) expect(parts[parts.length - 1]!.buffer).to.equal((b as unknown as { buf: Buffer }).buf.buffer);
    }
  });

  it('cuts 1,000 destinations and 3,000 messages into arena slots, each message after its destination', () => {
    const b = new SendBatch({ timing: 'asap', bestEffort: true });
    const ds = Array.from({ length: 1000 }, (_, i) => b.dest({ ip: `198.18.${1 + (i % 2)}.2`, port: 10000 + i }));
    const sent: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = Buffer.from(`m${i}`.padEnd(16 + (i % 200), '.'));
      sent.push(p.toString());
      b.add(ds[(i * 7) % 1000]!, p);
    }
    const chunks = b.chunks();
    expect(chunks.length).to.be.greaterThan(4);
    let table = 0;
    const got: string[] = [];
    chunks.forEach((c, k) => {
      expect(c.input.length).to.be.at.most(ARENA_SLOT_SIZE);
      const d = decodeChunk(c);
      for (let j = 0; j < d.nDests; j++) expect(d.dests[j]!.udp_port).to.equal(10000 + table + j);
      table += d.nDests;
      for (const m of d.msgs) {
        expect(m.dest, `chunk ${k}`).to.be.below(table);
        got.push(m.payload.toString());
      }
      expect(c.flags & SendFlag.BEST_EFFORT, `chunk ${k} opening flags`).to.equal(k === 0 ? SendFlag.BEST_EFFORT : 0);
      expect(c.flags & SendFlag.COMMIT, `chunk ${k} commit`).to.equal(k === chunks.length - 1 ? SendFlag.COMMIT : 0);
    });
    expect(table).to.equal(1000);
    expect(got).to.deep.equal(sent);
    expect(chunks.reduce((s, c) => s + c.nMsgs, 0)).to.equal(3000);
    expect(chunks.map((c) => c.firstMsg)).to.deep.equal(chunks.map((_, k) => chunks.slice(0, k).reduce((s, c) => s + c.nMsgs, 0)));
  });

  it('grows its buffer without losing what was added, and reset() reuses it', () => {
    const b = new SendBatch();
    const d = b.dest({ ip: '198.18.1.2', port: 9 });
    const p = new Uint8Array(64);
    for (let i = 0; i < 5_000; i++) {
      p[0] = i & 255;
      b.add(d, p);
    }
    expect(b.bytes).to.equal(5_000 * msgRecordSize(64));
    const chunks = b.chunks();
    let n = 0;
    for (const c of chunks) for (const m of decodeChunk(c).msgs) expect(m.payload[0]).to.equal(n++ & 255);
    expect(n).to.equal(5_000);
    b.reset();
    expect([b.length, b.destinations, b.bytes]).to.deep.equal([0, 0, 0]);
    expect(() => b.chunks()).to.throw(SendInputError, /no message/);
  });

  it('a batch of one record size is cut by arithmetic exactly as by the walk, every byte rewritten after reset()', () => {
    const shapes: [number, number, number, number][] = [ // destinations, messages, payload, slot
      [64, 65536, 64, BULK_SLOT_SIZE], [1, 1, 0, ARENA_SLOT_SIZE], [300, 1000, 100, ARENA_SLOT_SIZE],
      [4096, 30000, 1400, BULK_SLOT_SIZE], [10, 185, 64, ARENA_SLOT_SIZE], [2, 7, 8192, ARENA_SLOT_SIZE],
    ];
    for (const [nd, nm, len, slot] of shapes) {
      const b = new SendBatch({ timing: 'asap' });
      for (let i = 0; i < nd; i++) b.dest({ ip: '198.18.1.2', port: 1 + i });
      // a first fill with other bytes, then reset: what add() writes must replace all of it
      const junk = new Uint8Array(Math.min(len + 7, SEND_MAX_PAYLOAD)).fill(0xee);
      for (let i = 0; i < Math.min(nm, 50); i++) b.add(i % nd, junk.subarray(0, Math.min(len + (i % 8), junk.length)));
      b.reset(true);
      const p = new Uint8Array(len);
      for (let i = 0; i < nm; i++) {
        if (len > 0) p[0] = i & 255;
        b.add((i * 7) % nd, p);
      }
      const fast = b.plan(slot);
      expect(Reflect.get(b, 'recSize'), 'the field the fast cut keys on').to.equal(msgRecordSize(len));
      Reflect.set(b, 'recSize', -1); // what plan() does for records of different sizes
      const walked = b.plan(slot);
      expect(fast, `${nd} dests, ${nm} x ${len} B, slot ${slot}`).to.deep.equal(walked);
      const whole = Buffer.concat(fast.map((c) => Buffer.concat(b.chunkParts(c))));
      const again = new SendBatch({ timing: 'asap' });
      for (let i = 0; i < nd; i++) again.dest({ ip: '198.18.1.2', port: 1 + i });
      for (let i = 0; i < nm; i++) {
        if (len > 0) p[0] = i & 255;
        again.add((i * 7) % nd, p);
      }
      expect(whole.equals(Buffer.concat(again.plan(slot).map((c) => Buffer.concat(again.chunkParts(c))))), 'bytes as a fresh batch').to.equal(true);
    }
  });

  it('marks the last message of every frame, inferred or explicit', () => {
    const b = new SendBatch({ frames: true, interval: 33_000_000n });
    const d = b.dest({ ip: '198.18.1.2', port: 5000 });
    const tags: [number, 'I' | 'P' | 'B', boolean?][] = [[1, 'I'], [1, 'I'], [1, 'I'], [2, 'B'], [3, 'P', true], [4, 'B'], [4, 'B']];
    for (const [id, type, end] of tags) b.add(d, Buffer.from('x'), { frame: { id, type, end } });
    const c = b.chunks();
    expect(c[0]!.flags).to.equal(SendFlag.FRAMES | SendFlag.COMMIT);
    const msgs = decodeChunk(c[0]!).msgs;
    expect(msgs.map((m) => m.frame)).to.deep.equal([1, 1, 1, 2, 3, 4, 4]);
    expect(msgs.map((m) => m.frame_type)).to.deep.equal([FrameType.I, FrameType.I, FrameType.I, FrameType.B, FrameType.P, FrameType.B, FrameType.B]);
    expect(msgs.map((m) => m.flags & MSG_FRAME_END)).to.deep.equal([0, 0, 1, 1, 1, 0, 1]);
    expect(b.frameCount).to.equal(4);
  });

  it('refuses, naming the message, what the core would refuse', () => {
    const b = new SendBatch({ timing: 'at' });
    const d = b.dest({ ip: '198.18.1.2', port: 5000 });
    b.add(d, Buffer.from('ok'), { time: 5n });
    const err = (f: () => unknown): SendInputError => {
      try {
        f();
      } catch (e) {
        expect(e).to.be.instanceOf(SendInputError);
        return e as SendInputError;
      }
      throw new Error('did not throw');
    };
    const e1 = err(() => b.add(7, Buffer.from('x'), { time: 1n }));
    expect(e1.index).to.equal(1);
    expect(e1.reason).to.equal('message 1: dest 7 is not a destination of this batch; it has 1 (0..0): add them with batch.dest()');
    expect(err(() => b.add(d, Buffer.alloc(SEND_MAX_PAYLOAD + 1), { time: 1n })).reason).to.match(/^message 1: payload is 8193 bytes; a message carries at most 8192/);
    expect(err(() => b.add(d, Buffer.from('x'))).reason).to.match(/timing 'at' needs a time/);
    expect(err(() => b.add(d, Buffer.from('x'), { time: -1 })).reason).to.match(/time must be a whole number/);
    expect(err(() => b.add(d, Buffer.from('x'), { time: 1n, frame: { id: 1, type: 'I' } })).reason).to.match(/only for batches created with frames: true/);
    expect(b.length, 'nothing refused was kept').to.equal(1);
    const asap = new SendBatch();
    const a = asap.dest({ ip: '198.18.1.2', port: 1 });
    expect(err(() => asap.add(a, Buffer.from('x'), { time: 1n })).reason).to.match(/time is only for timing at, delay or seq; this batch is 'asap'/);
    expect(err(() => asap.dest({ ip: '198.18.1', port: 1 })).reason).to.match(/destination 1: ip "198.18.1" is not an IPv4 address/);
    expect(err(() => asap.dest({ ip: '198.18.1.1', port: 0 })).reason).to.match(/port must be a UDP port 1..65535, not 0/);
    expect(err(() => asap.dest({ ip: '198.18.1.1', port: 1, mac: 'zz' })).reason).to.match(/mac "zz" is not a MAC address/);
    expect(err(() => asap.dest({ ip: '198.18.1.1', port: 1, policy: 'a b' })).reason).to.match(/policy must be a policy id/);
    const fr = new SendBatch({ frames: true, interval: 1_000_000n });
    const f = fr.dest({ ip: '198.18.1.2', port: 1 });
    fr.add(f, Buffer.from('x'), { frame: { id: 1, type: 'I' } });
    fr.add(f, Buffer.from('x'), { frame: { id: 2, type: 'P' } });
    expect(err(() => fr.add(f, Buffer.from('x'), { frame: { id: 1, type: 'I' } })).reason).to.match(/message 2: frame 1 was already closed/);
    expect(err(() => fr.add(f, Buffer.from('x'), { frame: { id: 2, type: 'B' } })).reason).to.match(/frame 2 is type B here but began as P/);
    expect(err(() => fr.add(f, Buffer.from('x'))).reason).to.match(/give frame \{ id, type \}/);
  });

  it('checks the settings when the batch is made', () => {
    expect(() => new SendBatch({ timing: 'soon' as never })).to.throw(/timing must be one of asap, at, delay, seq, window, not "soon"/);
    expect(() => new SendBatch({ timing: 'window', start: 10n })).to.throw(/'window' needs start and end/);
    expect(() => new SendBatch({ timing: 'window', start: 10n, end: 5n })).to.throw(/end \(5\) must be after start \(10\)/);
    expect(() => new SendBatch({ timing: 'seq' })).to.throw(/'seq' needs interval/);
    expect(() => new SendBatch({ start: 5 as never })).to.throw(/start must be a bigint of nanoseconds/);
    expect(() => new SendBatch({ frames: true })).to.throw(/frames: true needs interval/);
    expect(() => new SendBatch({ frames: true, interval: 1n, timing: 'delay' })).to.throw(/timing must be 'asap' \(from start\) or 'window', not 'delay'/);
    expect(new SendBatch({ timing: 'window', start: 10n, end: 20n }).timingValue).to.equal(4);
  });
});

describe('send reports and lateness, decoded', () => {
  it('decodes a SEND_REAP reply: reports, drops by reason, frame records', () => {
    const R = SO.report;
    const F = SO.frame;
    const b = Buffer.alloc(SO.reapHdr.size + 2 * R.size + 2 * F.size);
    b.writeUInt32LE(2, SO.reapHdr.count);
    let at = SO.reapHdr.size;
    b.writeUInt32LE(7, at + R.batch);
    b.writeUInt32LE(10, at + R.n_msgs);
    b.writeUInt32LE(8, at + R.sent);
    b.writeUInt32LE(3, at + R.late);
    b.writeUInt32LE(2, at + R.drop + 4 * SEND_DROP_REASONS.indexOf('frame'));
    b.writeBigUInt64LE(1000n, at + R.first_tx_ns);
    b.writeBigUInt64LE(9000n, at + R.last_tx_ns);
    b.writeBigUInt64LE(100n, at + R.late_p50_ns);
    b.writeBigUInt64LE(900n, at + R.late_p99_ns);
    b.writeBigUInt64LE(1500n, at + R.late_max_ns);
    b.writeUInt32LE(2, at + R.n_frames);
    b.writeUInt32LE(1, at + R.frames_dropped);
    const f0 = at + R.size;
    b.writeUInt32LE(1, f0 + F.frame); b.writeUInt8(FrameType.I, f0 + F.type); b.writeUInt8(1, f0 + F.outcome); b.writeUInt16LE(8, f0 + F.n_msgs);
    const f1 = f0 + F.size;
    b.writeUInt32LE(2, f1 + F.frame); b.writeUInt8(FrameType.B, f1 + F.type); b.writeUInt8(2, f1 + F.outcome); b.writeUInt16LE(2, f1 + F.n_msgs);
    const first = decodeReport(b, at, true, 1);
    expect(first.report).to.deep.include({ batch: 7, messages: 10, sent: 8, late: 3, firstTxNs: 1000n, lastTxNs: 9000n, skipped: 1, framesDropped: 1 });
    expect(first.report.lateness).to.deep.equal({ p50Ns: 100, p99Ns: 900, maxNs: 1500 });
    expect(first.report.dropped.frame).to.equal(2);
    expect(Object.keys(first.report.dropped)).to.deep.equal([...SEND_DROP_REASONS]);
    expect(first.report.frames).to.deep.equal([
      { id: 1, type: 'I', outcome: 'sent', messages: 8 },
      { id: 2, type: 'B', outcome: 'dropped', messages: 2 },
    ]);
    at = first.next;
    expect(at).to.equal(f1 + F.size);
    b.writeUInt32LE(8, at + R.batch);
    const second = decodeReport(b, at, false);
    expect(second.report.batch).to.equal(8);
    expect(second.report.frames).to.equal(undefined);
  });

  it('reads percentiles off the log2 histogram as bucket upper bounds', () => {
    const buckets = new Array<number>(LAT_BUCKETS).fill(0);
    buckets[0] = 50;   // on time
    buckets[10] = 49;  // [512, 1024) ns
    buckets[20] = 1;   // [2^19, 2^20) ns
    expect(bucketQuantile(buckets, 100, 0.5, 600_000)).to.equal(0);
    expect(bucketQuantile(buckets, 100, 0.99, 600_000)).to.equal(1023);
    expect(bucketQuantile(buckets, 100, 1, 600_000)).to.equal(600_000);
    expect(bucketQuantile(buckets, 0, 0.5, 0)).to.equal(0);
    const L = SO.lat;
    const b = Buffer.alloc(SO.latHdr.size + 2 * L.size);
    b.writeUInt32LE(2, SO.latHdr.count);
    for (const [i, id] of [[0, 1], [1, 128]] as const) {
      const at = SO.latHdr.size + i * L.size;
      b.writeUInt32LE(id, at + L.lcore_id);
      b.writeBigUInt64LE(100n, at + L.count);
      b.writeBigUInt64LE(25_000n, at + L.sum_ns);
      b.writeBigUInt64LE(600_000n, at + L.max_ns);
      buckets.forEach((v, k) => b.writeBigUInt64LE(BigInt(v), at + L.bucket + 8 * k));
    }
    const r = decodeLateness(b);
    expect(r.lcores).to.have.length(1);
    expect(r.lcores[0]).to.deep.include({ lcore: 1, count: 100, meanNs: 250, maxNs: 600_000, p50Ns: 0, p99Ns: 1023 });
    expect(r.total.lcore).to.equal('all');
    expect(r.total.buckets[10]).to.equal(49);
  });
});
