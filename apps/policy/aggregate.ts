// The aggregate action's parameters: checks of the JSON form, and its wire form (the `flags`,
// `param` and `param32` of struct mf_policy_action; the MF_AGG_* bits of
// include/manifold_abi_policy.h).
import type { AggregateAction, AggregateStats } from './types.js';

export const AGGREGATE_KEYS = ['type', 'maxBytes', 'maxDelayUs', 'prefix', 'oversize'];
export const AGGREGATE_MIN_BYTES = 16;
export const AGGREGATE_MAX_BYTES = 65507;
export const AGGREGATE_MAX_DELAY_US = 10_000_000;

const F = { prefix32: 0x01, oversizeDrop: 0x02 } as const;

const isInt = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;

/** Problems of an aggregate action at `where` (actions[i]); `types` are the types of the whole chain. */
export function aggregateProblems(a: Record<string, unknown>, where: string, i: number, types: readonly unknown[], proto: number | undefined): string[] {
  const out: string[] = [];
  if (!isInt(a.maxBytes, AGGREGATE_MIN_BYTES, AGGREGATE_MAX_BYTES)) {
    out.push(`${where}.maxBytes: must be an integer ${AGGREGATE_MIN_BYTES}..${AGGREGATE_MAX_BYTES} (bytes of UDP payload per packed datagram, prefixes included), not ${JSON.stringify(a.maxBytes)}`);
  }
  if (!isInt(a.maxDelayUs, 1, AGGREGATE_MAX_DELAY_US)) {
    out.push(`${where}.maxDelayUs: must be an integer 1..${AGGREGATE_MAX_DELAY_US} (microseconds the oldest message may wait), not ${JSON.stringify(a.maxDelayUs)}`);
  }
  if (a.prefix !== undefined && a.prefix !== 'u16' && a.prefix !== 'u32') out.push(`${where}.prefix: must be "u16" or "u32", not ${JSON.stringify(a.prefix)}`);
  if (a.oversize !== undefined && a.oversize !== 'send' && a.oversize !== 'drop') {
    out.push(`${where}.oversize: must be "send" (a message over maxBytes goes alone) or "drop", not ${JSON.stringify(a.oversize)}`);
  }
  const first = types.indexOf('aggregate');
  if (first >= 0 && first < i) out.push(`${where}: a chain takes one aggregate, and actions[${first}] is one already`);
  if (proto !== 17) out.push(`match.protocol: actions[${i}] (aggregate) packs UDP messages, so the match must say "protocol": "udp"`);
  return out;
}

/** struct mf_policy_action's flags, param and param32 for an aggregate action. */
export function aggregateWire(a: AggregateAction): { flags: number; param: number; param32: number } {
  let flags = 0;
  if (a.prefix === 'u32') flags |= F.prefix32;
  if (a.oversize === 'drop') flags |= F.oversizeDrop;
  return { flags, param: a.maxBytes, param32: a.maxDelayUs };
}

/** The JSON form back from the wire (what the core holds). */
export function aggregateFromWire(flags: number, param: number, param32: number): AggregateAction {
  return {
    type: 'aggregate',
    maxBytes: param,
    maxDelayUs: param32,
    prefix: flags & F.prefix32 ? 'u32' : 'u16',
    oversize: flags & F.oversizeDrop ? 'drop' : 'send',
  };
}

/** Upper bound, in microseconds, of the hold-time bucket that the q-quantile of datagrams
 * falls in (q = 0.99: 99 % of datagrams waited less); Infinity for the last bucket, 0 when
 * nothing was sent. */
export function holdQuantileUs(hist: readonly number[], q: number): number {
  const total = hist.reduce((s, n) => s + n, 0);
  if (total === 0) return 0;
  let seen = 0;
  for (let k = 0; k < hist.length; k++) {
    seen += hist[k]!;
    if (seen >= q * total) return k === hist.length - 1 ? Infinity : 2 ** k;
  }
  return Infinity;
}

/** One line for `policy show`: what an aggregate action did. */
export function aggregateStatsText(a: AggregateStats): string {
  const reasons = Object.entries(a.flushes).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  const p99 = holdQuantileUs(a.holdHistogramUs, 0.99);
  return `aggregate: ${a.messages} messages in, ${a.packed} out in ${a.datagrams} datagrams` +
    (reasons ? ` (flushed: ${reasons})` : '') + `, oversize ${a.oversize}` +
    `, held max ${(a.holdMaxNs / 1000).toFixed(1)} us, p99 < ${p99 === Infinity ? 'inf' : p99} us`;
}
