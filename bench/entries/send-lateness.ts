// Scheduled sends, how late messages leave at 100 k and 1 M msgs/s (64 recipients, 64-byte
// payloads, message i due at t0 + i / rate), side by side in one run with the kernel:
//
//   manifold, fed two ways (see Feed): 'preload', the whole schedule in one 'delay' batch whose
//     first message is due 100 ms after its commit (the scheduler alone), and 'stream', one
//     Node thread handing over 'at' batches of 10 ms of schedule each, LEAD_MS ahead of their
//     first departure (the whole path an app uses, so Node must keep up). The core's timing
//     wheel sends each message at its time into a net_null port. Lateness = departure - due,
//     as the core measures it when it hands the packet to the tx queue: p50/p99 from the
//     SEND_LATENESS histogram over the run (log2 buckets, so each figure is an upper bound at
//     most 2x the true value), the batches' reports for counts, late, dropped and the maximum.
//   kernel: bench/anchors/txtime_lateness.c in a namespace, veth with the fq qdisc, every
//     message carrying its time (SO_TXTIME, CLOCK_MONOTONIC) handed over LEAD_MS ahead.
//     Lateness = the veth driver's software transmit timestamp - due (SO_TIMESTAMPING), exact.
//     Where the kernel has no fq (CONFIG_NET_SCH_FQ off, as on the machine the docs' figures
//     come from) SO_TXTIME does nothing, so the anchor becomes the next best thing a program
//     can do without kernel help (clock_nanosleep to each due time, then sendmmsg of what is
//     due) and the report names it so.
// Target (issue 6): p99 at least 10x tighter than SO_TXTIME + fq.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { withCore } from '../core.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';
import { SinkNamespace } from '../netns.js';
import { SEND_MAX_MSGS, SendBatch, droppedTotal, type LatenessReport, type Manifold, type SendReport } from '../../ffi/index.js';
import { bucketQuantile } from '../../ffi/send-report.js';
import { DESTS, KERNEL_NET, PAYLOAD, PORT_BASE, addRecipients, anchorBinary, loadNote, sendCoreConfig } from './send-common.js';

const RATES = [100_000, 1_000_000];
/** Each batch holds this much of the schedule. */
const SPAN_MS = 10;
/** A preloaded batch's first message is due this long after its commit. */
const PRELOAD_MS = 100;
/** A batch (or a kernel message) is handed over this long before its first departure. */
const LEAD_MS = 20;

interface Figures { p50: number; p99: number; max: number; sent: number; count: number; late: number; dropped: number; detail: string }

interface TxtimeResult {
  mode: string; count: number; sent: number; stamped: number; late: number; early: number; failedCalls: number;
  p50Ns: number; p99Ns: number; maxNs: number; spanNs: number; departSpanNs: number;
}

/** One second of schedule (0.2 s quick), at most one batch's worth of messages. */
const messagesAt = (rate: number, ctx: BenchContext): number => Math.min(SEND_MAX_MSGS, Math.round(rate * (ctx.quick ? 0.2 : 1)));

/** How manifold is fed: 'stream', 'at' batches of SPAN_MS handed over LEAD_MS ahead by the Node
 * thread as it goes (what an app does; Node must keep up); 'preload', the whole schedule in one
 * 'delay' batch that is in the core before its first message is due (the core's scheduler alone). */
type Feed = 'stream' | 'preload';

function kernelLateness(ctx: BenchContext): { name: string; why: string; figures: Figures[] } {
  const net = new SinkNamespace({ tag: 'slat', ...KERNEL_NET }).open();
  try {
    const noFq = net.addFq();
    const mode = noFq === undefined ? 'txtime' : 'sleep';
    const name = noFq === undefined ? 'Linux SO_TXTIME + fq qdisc (veth, namespace)'
      : 'userspace clock_nanosleep + sendmmsg (no fq in this kernel; veth, namespace)';
    const why = noFq === undefined ? 'fq on the veth, limit/flow_limit 200000'
      : `SO_TXTIME + fq could not run: \`tc qdisc add ... fq\` said "${noFq}"; the anchor is a C thread sleeping to each due time`;
    if (noFq !== undefined) ctx.log(`no fq qdisc here (${noFq}); kernel anchor: clock_nanosleep pacing`);
    const figures = RATES.map((rate) => {
      const count = messagesAt(rate, ctx);
      // on CPU 1, as manifold's worker (the control lcore and Node have CPU 0)
      const r = net.execJson<TxtimeResult>(['taskset', '-c', '1', anchorBinary('mf-bench-txtime'), '--mode', mode, '--rate', String(rate),
        '--count', String(count), '--dst-base', KERNEL_NET.first, '--dests', String(DESTS), '--size', String(PAYLOAD),
        '--port-base', String(PORT_BASE), '--lead-us', String(LEAD_MS * 1000), '--seconds', String(count / rate + 10)],
      (count / rate + 40) * 1000);
      // the rate the departures kept: below `rate` means the sender fell behind its schedule
      const achieved = r.stamped > 1 && r.departSpanNs > 0 ? (r.stamped - 1) / (r.departSpanNs / 1e9) : 0;
      const detail = `${loadNote()}: ${r.stamped} of ${r.count} timestamped (${r.sent} sent), ${r.late} late, ${r.early} early` +
        (r.early > r.count / 100 ? ' (left before their time: the kernel ignored SO_TXTIME)' : '') +
        `, ${r.failedCalls} refused calls; departures kept ${(achieved / 1e3).toFixed(0)} k msgs/s of the ${rate / 1e3} k asked`;
      ctx.log(`kernel ${mode} at ${rate}/s: p50 ${r.p50Ns} ns, p99 ${r.p99Ns} ns, max ${r.maxNs} ns; ${detail}`);
      return { p50: r.p50Ns, p99: r.p99Ns, max: r.maxNs, sent: r.sent, count: r.count, late: r.late, dropped: r.count - r.sent, detail };
    });
    return { name, why, figures };
  } finally {
    net.close();
  }
}

/** The histogram of what departed between two SEND_LATENESS reads. */
function latenessBetween(a: LatenessReport, b: LatenessReport): { count: number; p50: number; p99: number } {
  const buckets = b.total.buckets.map((v, i) => v - (a.total.buckets[i] ?? 0));
  const count = b.total.count - a.total.count;
  return { count, p50: bucketQuantile(buckets, count, 0.5, b.total.maxNs), p99: bucketQuantile(buckets, count, 0.99, b.total.maxNs) };
}

/** Hands the schedule over as `feed` says; resolves with every batch's report. */
async function feedSchedule(m: Manifold, feed: Feed, rate: number, count: number): Promise<{ reports: SendReport[]; behind: number }> {
  const interval = 1e9 / rate;
  const payload = new Uint8Array(PAYLOAD).fill(0x5a);
  if (feed === 'preload') {
    // 'delay' times count from the commit: the first message is due PRELOAD_MS after it, so
    // the whole batch is in the core (planned, in the wheel) before anything is due, as the
    // kernel's messages are in fq before theirs.
    const b = new SendBatch({ timing: 'delay' });
    addRecipients(b);
    for (let i = 0; i < count; i++) b.add(i % DESTS, payload, { time: Math.round(PRELOAD_MS * 1e6 + i * interval) });
    return { reports: [await m.send(b, { waitForRoom: true })], behind: 0 };
  }
  const perBatch = Math.max(1, Math.round((rate * SPAN_MS) / 1000));
  const reports: SendReport[] = [];
  const running: Promise<void>[] = [];
  const t0 = Number(process.hrtime.bigint()) + (LEAD_MS + 30) * 1e6;
  let behind = 0;
  for (let next = 0; next < count;) {
    const due = t0 + next * interval;
    const wait = (due - LEAD_MS * 1e6 - Number(process.hrtime.bigint())) / 1e6;
    if (wait > 1) await sleep(wait - 1);
    const b = new SendBatch({ timing: 'at' });
    addRecipients(b);
    const stop = Math.min(count, next + perBatch);
    for (let i = next; i < stop; i++) b.add(i % DESTS, payload, { time: Math.round(t0 + i * interval) });
    if (Number(process.hrtime.bigint()) > due) behind++;
    running.push(m.send(b, { waitForRoom: true }).then((r) => { reports.push(r); }));
    next = stop;
  }
  await Promise.all(running);
  return { reports, behind };
}

async function oneRate(ctx: BenchContext, m: Manifold, rate: number, feed: Feed): Promise<Figures> {
  const count = messagesAt(rate, ctx);
  const before = await m.sendLateness();
  const { reports, behind } = await feedSchedule(m, feed, rate, count);
  const h = latenessBetween(before, await m.sendLateness());
  const sent = reports.reduce((s, r) => s + r.sent, 0);
  const late = reports.reduce((s, r) => s + r.late, 0);
  const dropped = reports.reduce((s, r) => s + droppedTotal(r), 0);
  const max = reports.reduce((s, r) => Math.max(s, r.lateness.maxNs), 0);
  const worstP99 = reports.reduce((s, r) => Math.max(s, r.lateness.p99Ns), 0);
  const left = reports.filter((r) => r.sent > 0);
  const span = left.length ? Number(left.reduce((x, r) => (r.lastTxNs > x ? r.lastTxNs : x), 0n) -
    left.reduce((x, r) => (r.firstTxNs < x ? r.firstTxNs : x), left[0]!.firstTxNs)) : 0;
  const achieved = sent > 1 && span > 0 ? (sent - 1) / (span / 1e9) : 0;
  const how = feed === 'preload' ? `one 'delay' batch of ${count}, first due ${PRELOAD_MS} ms after its commit`
    : `'at' batches of ${SPAN_MS} ms handed over ${LEAD_MS} ms ahead`;
  const detail = `${how} (${loadNote()}): ${sent} of ${count} sent in ${reports.length} batches, ${late} late, ${dropped} dropped; histogram counted ${h.count}; ` +
    `worst batch p99 ${worstP99} ns, max ${max} ns; departures kept ${(achieved / 1e3).toFixed(0)} k msgs/s of the ${rate / 1e3} k asked` +
    (behind ? `; ${behind} batches reached the core after their first due time (Node fell behind)` : '');
  ctx.log(`manifold ${feed} at ${rate}/s: p50 <= ${h.p50} ns, p99 <= ${h.p99} ns; ${detail}`);
  return { p50: h.p50, p99: h.p99, max, sent, count, late, dropped, detail };
}

const FEEDS: Feed[] = ['preload', 'stream'];

export const sendLateness: BenchEntry = {
  name: 'send-lateness',
  describe: 'scheduled sends, lateness p50/p99 at 100 k and 1 M msgs/s vs Linux SO_TXTIME + fq',
  async run(ctx): Promise<Measurement[]> {
    const kernel = kernelLateness(ctx);
    const ours = await withCore(ctx, sendCoreConfig(`bench-slat-${process.pid}`), async (m) => {
      // The application shares the control lcore's CPU (0), as it would in a deployment, and
      // the worker has CPU 1 to itself; left free, the scheduler puts Node on the worker's CPU
      // and the figures measure that preemption instead of the wheel.
      spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
      try {
        const out = new Map<string, Figures>();
        for (const rate of RATES) for (const feed of FEEDS) out.set(`${feed}/${rate}`, await oneRate(ctx, m, rate, feed));
        return out;
      } finally {
        spawnSync('taskset', ['-a', '-p', '-c', `0-${Math.max(0, cpus().length - 1)}`, String(process.pid)]);
      }
    });
    return RATES.flatMap((rate, i): Measurement[] => {
      const k = kernel.figures[i]!;
      const at = rate >= 1e6 ? `${rate / 1e6} M` : `${rate / 1e3} k`;
      return FEEDS.flatMap((feed): Measurement[] => {
        const o = ours.get(`${feed}/${rate}`)!;
        const what = feed === 'preload' ? 'schedule preloaded' : 'streamed from Node';
        const metric = (p: string) => `lateness ${p} at ${at} msgs/s, ${DESTS} recipients, ${what}`;
        const notes = `manifold (${o.detail}; net_null, 1 worker on CPU 1, Node and the control lcore on CPU 0; p50/p99 are log2-bucket upper bounds, at most 2x the true value). ` +
          `Kernel (${kernel.why}; the sender pinned to CPU 1; ${LEAD_MS} ms ahead where the kernel holds them): ${k.detail}; max ${k.max} ns`;
        return [
          { metric: metric('p50'), unit: 'ns', better: 'lower', ours: o.p50, anchor: k.p50, anchorName: kernel.name, notes },
          { metric: metric('p99'), unit: 'ns', better: 'lower', ours: o.p99, anchor: k.p99, anchorName: kernel.name, targetRatio: 10 },
        ];
      });
    });
  },
};
