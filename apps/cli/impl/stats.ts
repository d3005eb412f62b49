// `manifold stats`: counters of every port and lcore, once, or every --period seconds with rates.
import type { StatsArgs } from '../commands/stats.js';
import { withClient } from './attach.js';
import { sleep } from './sleep.js';
import { formatRates, formatStats, type Snapshot } from './stats-format.js';

export async function stats(args: StatsArgs): Promise<void> {
  await withClient(args.name, async (m) => {
    const prints = args.period === undefined ? 1 : args.count ?? Infinity;
    let previous: Snapshot | undefined;
    let stop = false;
    const onSignal = () => { stop = true; };
    process.once('SIGINT', onSignal);
    try {
      for (let i = 0; i < prints && !stop; i++) {
        if (i > 0) await sleep(args.period! * 1000);
        const now: Snapshot = { stats: await m.stats(), atMs: Date.now() };
        if (args.json) {
          console.log(JSON.stringify(now.stats, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
        } else {
          console.log(formatStats(now.stats, args.all));
          if (previous) console.log(`  rates: ${formatRates(previous, now)}`);
        }
        previous = now;
      }
    } finally {
      process.off('SIGINT', onSignal);
    }
  });
}
