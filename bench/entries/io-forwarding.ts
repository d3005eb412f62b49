// io forwarding between two net_null ports: manifold-core against dpdk-testpmd's io engine on the
// same virtual devices, the same lcores (control/main on 0, one forwarding lcore on 1), the same
// memory mode, one after the other. Both rates are the NIC-level tx_packets over a timed window.
import { withCore } from '../core.js';
import { WARMUP_MS, testpmdRate } from '../testpmd-rate.js';
import { sleep, type BenchEntry, type BenchContext, type Measurement } from '../harness.js';

const testpmdIo = (ctx: BenchContext): Promise<number> =>
  testpmdRate(ctx, { vdevs: ['net_null0', 'net_null1'], mode: 'io', ports: 'all', counter: 'TX-packets' });

function manifoldRate(ctx: BenchContext): Promise<number> {
  return withCore(ctx, {
    name: `bench-io-${process.pid % 100000}`, lcores: '0-1', hugepages: 'off', memoryMb: 512,
    ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' }],
  }, async (m) => {
    await sleep(WARMUP_MS);
    await m.clearStats('all');
    const t0 = process.hrtime.bigint();
    await sleep(ctx.seconds * 1000);
    const stats = await m.stats();
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    return stats.ports.reduce((sum, p) => sum + (p.counters.tx_packets ?? 0), 0) / elapsed;
  });
}

export const ioForwarding: BenchEntry = {
  name: 'io-forwarding',
  describe: 'io forwarding on a net_null pair, one worker lcore: manifold-core vs dpdk-testpmd io',
  async run(ctx): Promise<Measurement[]> {
    const anchor = await testpmdIo(ctx);
    ctx.log(`testpmd io: ${(anchor / 1e6).toFixed(2)} Mpps`);
    const ours = await manifoldRate(ctx);
    ctx.log(`manifold io: ${(ours / 1e6).toFixed(2)} Mpps`);
    return [{
      metric: 'io forwarding, net_null pair, 1 worker', unit: 'packets/s', better: 'higher',
      ours, anchor, anchorName: 'dpdk-testpmd io', targetRatio: 0.9,
      notes: 'both --no-huge, 8191 mbufs, burst 32, tx_packets summed over both ports',
    }];
  },
};
