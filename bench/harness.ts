// What every benchmark entry shares: the shape of a measurement, and of an entry.
// An entry measures manifold and its anchor (the named thing it is compared with) in the same run,
// one after the other on the same machine, and returns rows that the report sets side by side.

export interface Measurement {
  /** What was measured, e.g. "io forwarding, net_null pair". */
  metric: string;
  unit: string;
  ours: number;
  /** The anchor's figure in the same run, when the metric has one. */
  anchor?: number;
  anchorName?: string;
  /** Higher is better (rates) or lower is better (latencies). */
  better: 'higher' | 'lower';
  /** The target, as a ratio ours/anchor (higher) or anchor/ours (lower). */
  targetRatio?: number;
  notes?: string;
}

export interface BenchContext {
  quick: boolean;
  /** Seconds each timed phase runs. */
  seconds: number;
  log: (line: string) => void;
}

export interface BenchEntry {
  name: string;
  describe: string;
  run(ctx: BenchContext): Promise<Measurement[]>;
}

/** ours/anchor for higher-is-better, anchor/ours for lower-is-better: above 1 means we win. */
export function ratio(m: Measurement): number | undefined {
  if (m.anchor === undefined || m.anchor === 0 || m.ours === 0) return undefined;
  return m.better === 'higher' ? m.ours / m.anchor : m.anchor / m.ours;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
