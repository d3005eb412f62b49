// Policy updates under traffic: how many updates per second TypeScript gets applied (each one a
// new table built, published with one atomic store, the old one freed after an RCU grace
// period), and the redirect rate while 10,000 updates per second are applied to the very
// policy that redirects the stream, against the same rate with no updates just before and just
// after (the anchor, their mean).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Manifold } from '../../ffi/index.js';
import { withCore } from '../core.js';
import { sleep, type BenchEntry, type Measurement } from '../harness.js';
import { CpuWindow } from '../thread-cpu.js';
import { coreConfig, redirect, streamPcap } from './policy-common.js';

const WARMUP_MS = 1000;
const TARGET_UPDATES = 10_000;
const DEPTH = 256; // updates in flight at once (the ring holds 64; the rest queue in the client)

interface Phase { pps: number; ppsOnCpu: number; updates: number }

const mpps = (p: Phase): string =>
  `${(p.pps / 1e6).toFixed(2)} Mpps (${(p.ppsOnCpu / 1e6).toFixed(2)} per second on CPU)`;

/** The tx rate over a window, also per second the worker was on its CPU (bench/thread-cpu.ts). */
async function txRate(m: Manifold, pid: number | undefined, seconds: number,
  during?: () => Promise<number>): Promise<Phase> {
  await m.clearStats('all');
  const window = new CpuWindow(pid);
  const updates = during ? await during() : (await sleep(seconds * 1000), 0);
  const stats = await m.stats();
  const { elapsed, onCpu } = window.end();
  const packets = stats.ports[1]?.counters.tx_packets ?? 0;
  return { pps: packets / elapsed, ppsOnCpu: packets / onCpu, updates: updates / elapsed };
}

/** As many updates as the core takes for `seconds`, DEPTH in flight. */
async function flat(m: Manifold, seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    await Promise.all(Array.from({ length: DEPTH }, (_, i) => m.policies.update(redirect('upd', 6000 + ((n + i) & 1)))));
    n += DEPTH;
  }
  return n;
}

/** `perSecond` updates a second, in 10 ms rounds, for `seconds`. */
async function paced(m: Manifold, seconds: number, perSecond: number): Promise<number> {
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * perSecond);
    const batch = Math.min(due - n, 256);
    if (batch > 0) {
      await Promise.all(Array.from({ length: batch }, (_, i) => m.policies.update(redirect('upd', 6000 + ((n + i) & 1)))));
      n += batch;
    } else {
      await sleep(2);
    }
  }
  return n;
}

export const policyUpdates: BenchEntry = {
  name: 'policy-updates',
  describe: 'policy updates/s from TypeScript, and redirect rate while 10k updates/s are applied vs idle',
  async run(ctx): Promise<Measurement[]> {
    const pcap = streamPcap(18);
    try {
      return await withCore(ctx, coreConfig(`bench-pup-${process.pid % 100000}`, pcap), async (m, pid) => {
        await m.policies.add(redirect('upd'));
        // The application shares the control lcore's CPU (0), as it would in a deployment;
        // left free, the scheduler puts it on the worker's CPU and measures that instead.
        spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
        await sleep(WARMUP_MS);
        const max = await txRate(m, pid, ctx.seconds, () => flat(m, ctx.seconds));
        ctx.log(`updates, as fast as they go: ${max.updates.toFixed(0)}/s (redirect meanwhile ${mpps(max)})`);
        // The window with updates between two without, the anchor their mean: a drift in what
        // else the machine runs weighs on both sides alike.
        const before = await txRate(m, pid, ctx.seconds);
        ctx.log(`redirect, no updates: ${mpps(before)}`);
        const busy = await txRate(m, pid, ctx.seconds, () => paced(m, ctx.seconds, TARGET_UPDATES));
        ctx.log(`redirect while ${busy.updates.toFixed(0)} updates/s: ${mpps(busy)}`);
        const after = await txRate(m, pid, ctx.seconds);
        ctx.log(`redirect, no updates again: ${mpps(after)}`);
        const idle: Phase = { pps: (before.pps + after.pps) / 2, ppsOnCpu: (before.ppsOnCpu + after.ppsOnCpu) / 2, updates: 0 };
        spawnSync('taskset', ['-a', '-p', '-c', `0-${Math.max(0, cpus().length - 1)}`, String(process.pid)]);
        const st = await m.policies.stats('upd');
        return [{
          metric: 'policy updates applied per second from TypeScript', unit: 'updates/s', better: 'higher',
          ours: max.updates,
          notes: `${DEPTH} in flight; each update of the live redirect policy rebuilds and republishes the table`,
        }, {
          metric: `redirect rate while ${TARGET_UPDATES} updates/s are applied`, unit: 'packets/s', better: 'higher',
          ours: busy.pps, anchor: idle.pps, anchorName: 'the same, no updates', targetRatio: 0.95,
          notes: `updates achieved: ${busy.updates.toFixed(0)}/s; policy matched ${st.matched.packets} in all; ` +
            'the TypeScript process is pinned to CPU 0 with the control lcore; the worker has CPU 1; the anchor is ' +
            `the mean of a window before and one after (${(before.pps / 1e6).toFixed(2)}, ${(after.pps / 1e6).toFixed(2)} Mpps)`,
        }, {
          metric: `the same, per second the worker was on its CPU`, unit: 'packets/s', better: 'higher',
          ours: busy.ppsOnCpu, anchor: idle.ppsOnCpu, anchorName: 'the same, no updates', targetRatio: 0.95,
          notes: 'what the updates cost the worker itself: with CPU 0 busy with the updates, the scheduler moves ' +
            "other processes onto the worker's CPU; their time (schedstat run-queue wait of rte-worker-*) is taken " +
            `out of both windows (on CPU: ${((idle.pps / idle.ppsOnCpu) * 100).toFixed(0)} % idle, ` +
            `${((busy.pps / busy.ppsOnCpu) * 100).toFixed(0)} % busy)`,
        }];
      });
    } finally {
      rmSync(pcap, { force: true });
    }
  },
};
