// Redirect rate: manifold-core with a redirect policy (match, rewrite Ethernet/IPv4/UDP with
// checksums, send) against dpdk-testpmd's mac forwarding (rewrite the Ethernet addresses, send)
// on the same virtual devices (net_pcap replaying one UDP datagram endlessly -> net_null that
// receives nothing), the same lcores (main on 0, one forwarding lcore on 1), --no-huge, one
// after the other, in rounds (the round of median ratio is reported). Rate = packets the sink's tx
// counted over a timed window. Rounds alternate which side goes first (ABBA), so a drift in
// what else the machine runs weighs on both alike. A second row divides the same packets by
// the seconds the forwarding lcore was on its CPU (bench/thread-cpu.ts): what each side does
// with a CPU, without the time other processes took from it, measured the same way for both.
import { rmSync } from 'node:fs';
import { withCore } from '../core.js';
import { WARMUP_MS, testpmdRates } from '../testpmd-rate.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';
import { CpuWindow } from '../thread-cpu.js';
import { coreConfig, redirect, sinkDev, streamDev, streamPcap } from './policy-common.js';

const PAYLOAD = 18; // a 64-byte frame

interface Rates { pps: number; ppsOnCpu: number }

const testpmdMac = (ctx: BenchContext, pcap: string): Promise<Rates> =>
  testpmdRates(ctx, { vdevs: [streamDev(pcap), sinkDev()], mode: 'mac', ports: 1, counter: 'TX-packets' });

function manifoldRedirect(ctx: BenchContext, pcap: string): Promise<Rates> {
  return withCore(ctx, coreConfig(`bench-prd-${process.pid % 100000}`, pcap), async (m, pid) => {
    await m.policies.add(redirect('bench-redirect'));
    await sleep(WARMUP_MS);
    await m.clearStats('all');
    const window = new CpuWindow(pid);
    await sleep(ctx.seconds * 1000);
    const stats = await m.stats();
    const { elapsed, onCpu } = window.end();
    const st = await m.policies.stats('bench-redirect');
    if (st.matched.packets === 0) throw new Error('the redirect policy matched nothing');
    const packets = stats.ports[1]?.counters.tx_packets ?? 0;
    return { pps: packets / elapsed, ppsOnCpu: packets / onCpu };
  });
}

/** Rounds: two shared CPUs make one 5 s window of either side move by 5 %. */
const ROUNDS = 3;

/** The round whose ratio ours/anchor is the median: each round measures both sides back to
 * back, so its ratio is what drifts least with the rest of the machine. */
function medianRound(ours: number[], anchors: number[]): number {
  const byRatio = ours.map((o, i) => ({ i, r: o / anchors[i]! })).sort((a, b) => a.r - b.r);
  return byRatio[byRatio.length >> 1]!.i;
}
const mpps = (pps: number): string => (pps / 1e6).toFixed(2);

export const policyRedirect: BenchEntry = {
  name: 'policy-redirect',
  describe: 'redirect policy (UDP rewrite + checksums) vs dpdk-testpmd mac forwarding, net_pcap stream -> net_null, 1 worker',
  async run(ctx): Promise<Measurement[]> {
    const pcap = streamPcap(PAYLOAD);
    try {
      const anchors: Rates[] = [];
      const ours: Rates[] = [];
      for (let round = 0; round < (ctx.quick ? 1 : ROUNDS); round++) {
        // ABBA: testpmd first in even rounds, manifold first in odd ones
        if (round % 2 === 0) {
          anchors.push(await testpmdMac(ctx, pcap));
          ours.push(await manifoldRedirect(ctx, pcap));
        } else {
          ours.push(await manifoldRedirect(ctx, pcap));
          anchors.push(await testpmdMac(ctx, pcap));
        }
        const a = anchors[round]!, o = ours[round]!;
        ctx.log(`round ${round + 1}: testpmd mac ${mpps(a.pps)} Mpps (${mpps(a.ppsOnCpu)} on CPU), ` +
          `manifold redirect ${mpps(o.pps)} Mpps (${mpps(o.ppsOnCpu)} on CPU)`);
      }
      const rounds = (k: keyof Rates): string => ours.map((o, i) => `${mpps(o[k])}/${mpps(anchors[i]![k])}`).join(', ');
      const common = 'both --no-huge, 8191 mbufs, burst 32; the source (net_pcap infinite_rx copies each frame) bounds both; ' +
        `the round of median ratio of ${ours.length}, the first side alternating`;
      const pps = medianRound(ours.map((o) => o.pps), anchors.map((a) => a.pps));
      const onCpu = medianRound(ours.map((o) => o.ppsOnCpu), anchors.map((a) => a.ppsOnCpu));
      return [{
        metric: 'redirect, 64-byte UDP, net_pcap -> net_null, 1 worker', unit: 'packets/s', better: 'higher',
        ours: ours[pps]!.pps, anchor: anchors[pps]!.pps,
        anchorName: 'dpdk-testpmd mac', targetRatio: 1.0,
        notes: `${common} (manifold/testpmd Mpps: ${rounds('pps')})`,
      }, {
        metric: 'the same, per second its forwarding lcore was on its CPU', unit: 'packets/s', better: 'higher',
        ours: ours[onCpu]!.ppsOnCpu, anchor: anchors[onCpu]!.ppsOnCpu,
        anchorName: 'dpdk-testpmd mac', targetRatio: 1.0,
        notes: `${common}; the time other processes held the worker's CPU (schedstat run-queue wait of ` +
          `rte-worker-*) taken out of the window for both alike (manifold/testpmd Mpps: ${rounds('ppsOnCpu')})`,
      }];
    } finally {
      rmSync(pcap, { force: true });
    }
  },
};
