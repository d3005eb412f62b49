// Redirect rate: manifold-core with a redirect policy (match, rewrite Ethernet/IPv4/UDP with
// checksums, send) against dpdk-testpmd's mac forwarding (rewrite the Ethernet addresses, send)
// on the same virtual devices (net_pcap replaying one UDP datagram endlessly -> net_null that
// receives nothing), the same lcores (main on 0, one forwarding lcore on 1), --no-huge, one
// after the other, in alternating rounds (the median is reported). Rate = packets the sink's tx
// counted over a timed window.
import { rmSync } from 'node:fs';
import { withCore } from '../core.js';
import { WARMUP_MS, testpmdRate } from '../testpmd-rate.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';
import { coreConfig, redirect, sinkDev, streamDev, streamPcap } from './policy-common.js';

const PAYLOAD = 18; // a 64-byte frame

const testpmdMac = (ctx: BenchContext, pcap: string): Promise<number> =>
  testpmdRate(ctx, { vdevs: [streamDev(pcap), sinkDev()], mode: 'mac', ports: 1, counter: 'TX-packets' });

function manifoldRedirect(ctx: BenchContext, pcap: string): Promise<number> {
  return withCore(ctx, coreConfig(`bench-prd-${process.pid % 100000}`, pcap), async (m) => {
    await m.policies.add(redirect('bench-redirect'));
    await sleep(WARMUP_MS);
    await m.clearStats('all');
    const t0 = process.hrtime.bigint();
    await sleep(ctx.seconds * 1000);
    const stats = await m.stats();
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const st = await m.policies.stats('bench-redirect');
    if (st.matched.packets === 0) throw new Error('the redirect policy matched nothing');
    return (stats.ports[1]?.counters.tx_packets ?? 0) / elapsed;
  });
}

/** Alternating rounds: two shared CPUs make one 5 s window of either side move by 5 %. */
const ROUNDS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export const policyRedirect: BenchEntry = {
  name: 'policy-redirect',
  describe: 'redirect policy (UDP rewrite + checksums) vs dpdk-testpmd mac forwarding, net_pcap stream -> net_null, 1 worker',
  async run(ctx): Promise<Measurement[]> {
    const pcap = streamPcap(PAYLOAD);
    try {
      const anchors: number[] = [];
      const ours: number[] = [];
      for (let round = 0; round < (ctx.quick ? 1 : ROUNDS); round++) {
        anchors.push(await testpmdMac(ctx, pcap));
        ours.push(await manifoldRedirect(ctx, pcap));
        ctx.log(`round ${round + 1}: testpmd mac ${(anchors[round]! / 1e6).toFixed(2)} Mpps, ` +
          `manifold redirect ${(ours[round]! / 1e6).toFixed(2)} Mpps`);
      }
      const rounds = ours.map((o, i) => `${(o / 1e6).toFixed(2)}/${(anchors[i]! / 1e6).toFixed(2)}`).join(', ');
      return [{
        metric: 'redirect, 64-byte UDP, net_pcap -> net_null, 1 worker', unit: 'packets/s', better: 'higher',
        ours: median(ours), anchor: median(anchors), anchorName: 'dpdk-testpmd mac', targetRatio: 1.0,
        notes: `both --no-huge, 8191 mbufs, burst 32; the source (net_pcap infinite_rx copies each frame) bounds both; ` +
          `median of ${ours.length} alternating rounds (manifold/testpmd Mpps: ${rounds})`,
      }];
    } finally {
      rmSync(pcap, { force: true });
    }
  },
};
