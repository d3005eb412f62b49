// Decoding what the core answers to SEND_REAP (a batch's report, its frames) and to
// SEND_LATENESS (log2 histograms of how late packets left, per transmitting lcore).
import {
  FrameOutcome,
  FrameType,
  LAT_BUCKETS,
  SEND_DROP_REASONS,
  SO,
  type FrameOutcomeName,
  type FrameTypeName,
  type SendDropReason,
} from './send-abi.js';

export interface FrameReport {
  id: number;
  type: FrameTypeName;
  outcome: FrameOutcomeName;
  /** messages of the frame */
  messages: number;
}

export interface Lateness {
  /** ns late at the 50th and 99th percentile, and the most, of the messages sent */
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
}

/** What client.send() resolves to once every message left or was dropped. */
export interface SendReport {
  batch: number;
  messages: number;
  /** messages handed to a tx queue (a policy fan-out counts once) */
  sent: number;
  /** of those, how many left later than asked */
  late: number;
  /** messages not sent, by reason (every reason, zeros included) */
  dropped: Record<SendDropReason, number>;
  /** departure of the first and the last message (CLOCK_MONOTONIC ns, 0n if none left) */
  firstTxNs: bigint;
  lastTxNs: bigint;
  lateness: Lateness;
  /** best effort: bad messages skipped at submit (also counted in dropped.invalid) */
  skipped: number;
  /** frames: true: each frame's outcome, in the order the core reports them */
  frames?: FrameReport[];
  framesDropped?: number;
}

const u64n = (b: Buffer, at: number): number => Number(b.readBigUInt64LE(at));

function typeName(v: number): FrameTypeName {
  return (Object.keys(FrameType) as FrameTypeName[])[v - 1] ?? 'B';
}

function outcomeName(v: number): FrameOutcomeName {
  return (Object.keys(FrameOutcome) as FrameOutcomeName[]).find((k) => FrameOutcome[k] === v) ?? 'dropped';
}

/** The total of `dropped`. */
export function droppedTotal(r: Pick<SendReport, 'dropped'>): number {
  return Object.values(r.dropped).reduce((a, b) => a + b, 0);
}

/** Decodes one struct mf_send_report at `at` and its frame records; returns the report and
 * the offset just past it. `frames` says whether the batch was sent with frames: true. */
export function decodeReport(b: Buffer, at: number, frames: boolean, skipped = 0): { report: SendReport; next: number } {
  const R = SO.report;
  const dropped = {} as Record<SendDropReason, number>;
  SEND_DROP_REASONS.forEach((name, k) => { dropped[name] = b.readUInt32LE(at + R.drop + 4 * k); });
  const nFrames = b.readUInt32LE(at + R.n_frames);
  const report: SendReport = {
    batch: b.readUInt32LE(at + R.batch),
    messages: b.readUInt32LE(at + R.n_msgs),
    sent: b.readUInt32LE(at + R.sent),
    late: b.readUInt32LE(at + R.late),
    dropped,
    firstTxNs: b.readBigUInt64LE(at + R.first_tx_ns),
    lastTxNs: b.readBigUInt64LE(at + R.last_tx_ns),
    lateness: { p50Ns: u64n(b, at + R.late_p50_ns), p99Ns: u64n(b, at + R.late_p99_ns), maxNs: u64n(b, at + R.late_max_ns) },
    skipped,
  };
  let next = at + R.size;
  if (frames || nFrames > 0) {
    const F = SO.frame;
    const list: FrameReport[] = [];
    for (let i = 0; i < nFrames && next + F.size <= b.length; i++, next += F.size) {
      list.push({
        id: b.readUInt32LE(next + F.frame),
        type: typeName(b.readUInt8(next + F.type)),
        outcome: outcomeName(b.readUInt8(next + F.outcome)),
        messages: b.readUInt16LE(next + F.n_msgs),
      });
    }
    report.frames = list;
    report.framesDropped = b.readUInt32LE(at + R.frames_dropped);
  }
  return { report, next };
}

/** One transmitting lcore's lateness histogram (or their sum: lcore 'all'). */
export interface LatenessStats {
  lcore: number | 'all';
  /** departures measured */
  count: number;
  meanNs: number;
  maxNs: number;
  /** upper bounds read from the histogram: the true value is at most this, above half of it */
  p50Ns: number;
  p99Ns: number;
  p999Ns: number;
  /** bucket 0: on time; bucket b >= 1: lateness in [2^(b-1), 2^b) ns */
  buckets: number[];
}

export interface LatenessReport {
  lcores: LatenessStats[];
  total: LatenessStats;
}

/** The upper bound of the bucket holding the q-quantile (0 when nothing was measured). */
export function bucketQuantile(buckets: readonly number[], count: number, q: number, maxNs: number): number {
  if (count <= 0) return 0;
  const rank = Math.ceil(q * count);
  let seen = 0;
  for (let b = 0; b < buckets.length; b++) {
    seen += buckets[b]!;
    if (seen >= rank) return b === 0 ? 0 : Math.min(2 ** b - 1, maxNs);
  }
  return maxNs;
}

/** Decodes a SEND_LATENESS reply: the header, one entry per lcore, then their sum (last). */
export function decodeLateness(b: Buffer): LatenessReport {
  const L = SO.lat;
  const count = b.length >= SO.latHdr.size ? b.readUInt32LE(SO.latHdr.count) : 0;
  const all: LatenessStats[] = [];
  for (let i = 0; i < count; i++) {
    const at = SO.latHdr.size + i * L.size;
    if (at + L.size > b.length) break;
    const buckets: number[] = [];
    for (let k = 0; k < LAT_BUCKETS; k++) buckets.push(u64n(b, at + L.bucket + 8 * k));
    const n = u64n(b, at + L.count);
    const max = u64n(b, at + L.max_ns);
    all.push({
      lcore: i === count - 1 ? 'all' : b.readUInt32LE(at + L.lcore_id),
      count: n,
      meanNs: n > 0 ? u64n(b, at + L.sum_ns) / n : 0,
      maxNs: max,
      p50Ns: bucketQuantile(buckets, n, 0.5, max),
      p99Ns: bucketQuantile(buckets, n, 0.99, max),
      p999Ns: bucketQuantile(buckets, n, 0.999, max),
      buckets,
    });
  }
  const total = all.pop() ?? { lcore: 'all', count: 0, meanNs: 0, maxNs: 0, p50Ns: 0, p99Ns: 0, p999Ns: 0, buckets: new Array<number>(LAT_BUCKETS).fill(0) };
  return { lcores: all, total };
}
