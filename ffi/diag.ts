// Diagnostics (include/manifold_abi_diag.h): the NIC's xstats, testpmd's start/stop, packet
// capture. Reached as `client.diag`; every call is one or a few requests through
// Manifold.request(). The structs here are checked by test/unit/abi-layout.test.ts like those
// of structs.ts (DIAG_STRUCTS).
import koffi, { type TypeObject } from 'koffi';
import type { Manifold } from './client.js';
import { ManifoldError, errnoNumber } from './errors.js';
import { ARENA_SLOT_SIZE, PORT_ALL, type U64 } from './structs.js';

export const OP_DIAG_FIRST = 96;
/** enum mf_op_diag, without the MF_OP_ prefix. */
export const DiagOp = {
  XSTATS: 96,
  FWD_RUN: 97,
  CAPTURE_ARM: 98,
  CAPTURE_FETCH: 99,
  TRACE_ARM: 100,
  TRACE_FETCH: 101,
} as const;
export const OP_DIAG_MAX = 102;
export const FwdRun = { STOP: 0, START: 1, QUERY: 2 } as const;
export const CaptureState = { IDLE: 0, ARMED: 1, DONE: 2 } as const;
export const XSTAT_NAME_LEN = 64;
export const CAPTURE_BUF_SIZE = 4 << 20;
export const CAPTURE_SNAPLEN_MAX = 9216;
export const CAPTURE_COUNT_MAX = 100000;

export const MfXstatsArg = koffi.struct('mf_xstats_arg', {
  port: 'uint16_t',
  reserved: 'uint16_t',
  start: 'uint32_t',
});
export const MfXstatsHdr = koffi.struct('mf_xstats_hdr', {
  total: 'uint32_t',
  start: 'uint32_t',
  count: 'uint32_t',
  reserved: 'uint32_t',
});
export const MfXstat = koffi.struct('mf_xstat', {
  name: koffi.array('char', XSTAT_NAME_LEN),
  value: 'uint64_t',
});
export const MfFwdRunArg = koffi.struct('mf_fwd_run_arg', {
  run: 'uint8_t',
  reserved: koffi.array('uint8_t', 3),
});
export const MfFwdRunInfo = koffi.struct('mf_fwd_run_info', {
  running: 'uint8_t',
  was_running: 'uint8_t',
  reserved: koffi.array('uint8_t', 6),
  changed_ns: 'uint64_t',
});
export const MfCaptureArg = koffi.struct('mf_capture_arg', {
  port: 'uint16_t',
  reserved: 'uint16_t',
  count: 'uint32_t',
  snaplen: 'uint32_t',
});
export const MfCaptureFetchArg = koffi.struct('mf_capture_fetch_arg', {
  offset: 'uint32_t',
  reserved: 'uint32_t',
});
export const MfCaptureInfo = koffi.struct('mf_capture_info', {
  state: 'uint8_t',
  full: 'uint8_t',
  port: 'uint16_t',
  count: 'uint32_t',
  captured: 'uint32_t',
  snaplen: 'uint32_t',
  used: 'uint32_t',
  offset: 'uint32_t',
  chunk_len: 'uint32_t',
  reserved: 'uint32_t',
  armed_ns: 'uint64_t',
});
export const MfCaptureRec = koffi.struct('mf_capture_rec', {
  ts_ns: 'uint64_t',
  orig_len: 'uint32_t',
  cap_len: 'uint32_t',
});

/** Every diagnostics struct by its C name (the layout test walks this with STRUCTS). */
export const DIAG_STRUCTS: Readonly<Record<string, TypeObject>> = {
  mf_xstats_arg: MfXstatsArg,
  mf_xstats_hdr: MfXstatsHdr,
  mf_xstat: MfXstat,
  mf_fwd_run_arg: MfFwdRunArg,
  mf_fwd_run_info: MfFwdRunInfo,
  mf_capture_arg: MfCaptureArg,
  mf_capture_fetch_arg: MfCaptureFetchArg,
  mf_capture_info: MfCaptureInfo,
  mf_capture_rec: MfCaptureRec,
};

export interface Xstat { name: string; value: number }

export interface RunInfo {
  /** forwarding after the request */
  running: boolean;
  wasRunning: boolean;
  /** CLOCK_MONOTONIC ns of the last start or stop, 0n if never */
  changedNs: bigint;
}

export type CaptureStateName = 'idle' | 'armed' | 'done';

export interface CaptureInfo {
  state: CaptureStateName;
  /** it ended because the core's buffer (CAPTURE_BUF_SIZE) was full */
  full: boolean;
  port: number;
  count: number;
  captured: number;
  snaplen: number;
  /** bytes of records stored */
  used: number;
  armedNs: bigint;
}

export interface CapturedPacket {
  /** CLOCK_REALTIME ns when the worker copied it */
  tsNs: bigint;
  /** length on the wire */
  origLen: number;
  /** the bytes kept (at most snaplen) */
  data: Buffer;
}

export interface CaptureOptions {
  /** bytes kept per packet (default and maximum CAPTURE_SNAPLEN_MAX) */
  snaplen?: number;
  /** give up waiting after this many ms and return what was captured (default 10000) */
  timeoutMs?: number;
  /** called with the progress while waiting */
  onProgress?: (info: CaptureInfo) => void;
}

export interface CaptureResult {
  info: CaptureInfo;
  packets: CapturedPacket[];
  /** all `count` packets were captured */
  complete: boolean;
}

interface RawCaptureInfo {
  state: number; full: number; port: number; count: number; captured: number; snaplen: number;
  used: number; offset: number; chunk_len: number; reserved: number; armed_ns: U64;
}

const INFO_SIZE = koffi.sizeof(MfCaptureInfo);
const FETCH_IN_FLIGHT = 32; // of the client's RING_SIZE (64) requests in flight
const REC_SIZE = koffi.sizeof(MfCaptureRec);

function encode(type: TypeObject, value: Record<string, unknown>): Buffer {
  const buf = Buffer.alloc(koffi.sizeof(type));
  koffi.encode(buf, 0, type, value);
  return buf;
}

function invalid(op: string, reason: string): ManifoldError {
  return new ManifoldError({ errno: errnoNumber('EINVAL'), reason, op });
}

function toCaptureInfo(r: RawCaptureInfo): CaptureInfo {
  const names: CaptureStateName[] = ['idle', 'armed', 'done'];
  return {
    state: names[r.state] ?? 'idle',
    full: r.full !== 0,
    port: r.port,
    count: r.count,
    captured: r.captured,
    snaplen: r.snaplen,
    used: r.used,
    armedNs: BigInt(r.armed_ns),
  };
}

/** Splits a record stream (struct mf_capture_rec, data, padding to 8) into packets. */
export function parseCaptureRecords(stream: Buffer): CapturedPacket[] {
  const out: CapturedPacket[] = [];
  let off = 0;
  while (off + REC_SIZE <= stream.length) {
    const tsNs = stream.readBigUInt64LE(off);
    const origLen = stream.readUInt32LE(off + 8);
    const capLen = stream.readUInt32LE(off + 12);
    if (off + REC_SIZE + capLen > stream.length) break;
    out.push({ tsNs, origLen, data: Buffer.from(stream.subarray(off + REC_SIZE, off + REC_SIZE + capLen)) });
    off += Math.ceil((REC_SIZE + capLen) / 8) * 8;
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Diag {
  constructor(private readonly m: Manifold) {}

  /** The NIC's extended counters of one port (rte_eth_xstats), in the driver's order. */
  async xstats(port: number): Promise<Xstat[]> {
    if (!Number.isInteger(port) || port < 0 || port >= PORT_ALL) throw invalid('XSTATS', `port must be an integer 0..${PORT_ALL - 1}, not ${String(port)}`);
    const out: Xstat[] = [];
    const hdrSize = koffi.sizeof(MfXstatsHdr);
    const entSize = koffi.sizeof(MfXstat);
    for (let start = 0, pages = 0; pages < 1000; pages++) {
      const r = await this.m.request(DiagOp.XSTATS, encode(MfXstatsArg, { port, reserved: 0, start }));
      const hdr = koffi.decode(r.data, 0, MfXstatsHdr) as { total: number; count: number };
      for (let i = 0; i < hdr.count; i++) {
        const x = koffi.decode(r.data, hdrSize + i * entSize, MfXstat) as { name: string; value: U64 };
        out.push({ name: x.name, value: Number(x.value) });
      }
      start += hdr.count;
      if (hdr.count === 0 || start >= hdr.total) break;
    }
    return out;
  }

  private async run(run: number): Promise<RunInfo> {
    const r = await this.m.request(DiagOp.FWD_RUN, encode(MfFwdRunArg, { run, reserved: [0, 0, 0] }));
    const i = koffi.decode(r.data, 0, MfFwdRunInfo) as { running: number; was_running: number; changed_ns: U64 };
    return { running: i.running !== 0, wasRunning: i.was_running !== 0, changedNs: BigInt(i.changed_ns) };
  }

  /** testpmd's `start`: forwarding on (it is on when the core starts). */
  start(): Promise<RunInfo> {
    return this.run(FwdRun.START);
  }

  /** testpmd's `stop`: every packet received is freed and counted as drop_stopped. */
  stop(): Promise<RunInfo> {
    return this.run(FwdRun.STOP);
  }

  forwarding(): Promise<RunInfo> {
    return this.run(FwdRun.QUERY);
  }

  /** Arms a capture of the next `count` packets received on `port` (replacing any other);
   * count 0 cancels. */
  async captureArm(port: number, count: number, snaplen = 0): Promise<CaptureInfo> {
    if (!Number.isInteger(count) || count < 0 || count > CAPTURE_COUNT_MAX) throw invalid('CAPTURE_ARM', `count must be an integer 0..${CAPTURE_COUNT_MAX}, not ${String(count)}`);
    if (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > CAPTURE_SNAPLEN_MAX) throw invalid('CAPTURE_ARM', `snaplen must be an integer 0..${CAPTURE_SNAPLEN_MAX} (0: the maximum), not ${String(snaplen)}`);
    if (!Number.isInteger(port) || port < 0 || port >= PORT_ALL) throw invalid('CAPTURE_ARM', `port must be an integer 0..${PORT_ALL - 1}, not ${String(port)}`);
    const r = await this.m.request(DiagOp.CAPTURE_ARM, encode(MfCaptureArg, { port, reserved: 0, count, snaplen }));
    return toCaptureInfo(koffi.decode(r.data, 0, MfCaptureInfo) as RawCaptureInfo);
  }

  /** The capture's state and the record bytes from `offset` (one arena slot's worth). */
  async captureFetch(offset = 0): Promise<{ info: CaptureInfo; chunk: Buffer }> {
    const r = await this.m.request(DiagOp.CAPTURE_FETCH, encode(MfCaptureFetchArg, { offset, reserved: 0 }));
    const raw = koffi.decode(r.data, 0, MfCaptureInfo) as RawCaptureInfo;
    return { info: toCaptureInfo(raw), chunk: Buffer.from(r.data.subarray(INFO_SIZE, INFO_SIZE + raw.chunk_len)) };
  }

  /** Arms, waits until `count` packets were captured (or the timeout), reads every record. */
  async capture(port: number, count: number, opts: CaptureOptions = {}): Promise<CaptureResult> {
    if (count < 1) throw invalid('CAPTURE_ARM', `count must be at least 1, not ${String(count)}`);
    await this.captureArm(port, count, opts.snaplen ?? 0);
    const deadline = Date.now() + (opts.timeoutMs ?? 10000);
    const chunks: Buffer[] = [];
    let got = 0;
    let info: CaptureInfo;
    for (;;) {
      const f = await this.captureFetch(got);
      info = f.info;
      if (f.chunk.length > 0) {
        chunks.push(f.chunk);
        got += f.chunk.length;
      }
      opts.onProgress?.(info);
      if (info.state !== 'armed') {
        // The rest is final: fetch it with many requests in flight, not one round trip each.
        const chunk = ARENA_SLOT_SIZE - INFO_SIZE;
        const offsets: number[] = [];
        for (let off = got; off < info.used; off += chunk) offsets.push(off);
        for (let i = 0; i < offsets.length; i += FETCH_IN_FLIGHT) {
          const part = await Promise.all(offsets.slice(i, i + FETCH_IN_FLIGHT).map((off) => this.captureFetch(off)));
          for (const f2 of part) chunks.push(f2.chunk);
        }
        break;
      }
      if (f.chunk.length > 0) continue; // more may be waiting
      if (Date.now() < deadline) {
        await sleep(20);
        continue;
      }
      // Time is up: cancel (the workers let go of the buffer), then read what was stored.
      await this.captureArm(port, 0);
    }
    const packets = parseCaptureRecords(Buffer.concat(chunks));
    return { info, packets, complete: packets.length >= count };
  }
}
