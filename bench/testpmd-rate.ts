// dpdk-testpmd as a benchmark anchor: one forwarding engine on the given virtual devices, with
// the EAL and application settings every entry gives manifold-core too (main lcore 0, one
// forwarding lcore 1, --no-huge, 512 MB, 8191 mbufs, bursts of 32), measured over a timed
// window the same way: start, warm up, clear the counters, wait, read them.
import { TestPmd } from '../apps/peers/testpmd.js';
import { sleep, type BenchContext } from './harness.js';
import { CpuWindow } from './thread-cpu.js';

export const WARMUP_MS = 1000;

export interface TestpmdRun {
  /** --vdev arguments, in port order */
  vdevs: string[];
  /** testpmd's --forward-mode */
  mode: 'io' | 'mac' | 'rxonly' | 'txonly';
  /** which ports `show port stats` reads: 'all' or a port number */
  ports: 'all' | number;
  /** the counter summed over them */
  counter: 'TX-packets' | 'RX-packets';
}

/** Packets per second of `run.counter` on `run.ports` over ctx.seconds after a warm-up. */
export async function testpmdRate(ctx: BenchContext, run: TestpmdRun): Promise<number> {
  return (await testpmdRates(ctx, run)).pps;
}

/** The same rate, and per second its forwarding lcore was on its CPU (bench/thread-cpu.ts). */
export async function testpmdRates(ctx: BenchContext, run: TestpmdRun): Promise<{ pps: number; ppsOnCpu: number }> {
  const pmd = new TestPmd();
  await pmd.start({
    eal: ['-l', '0-1', '--no-pci', '--no-huge', '-m', '512', ...run.vdevs.flatMap((v) => ['--vdev', v]),
      '--log-level', 'lib.eal:warning'],
    app: [`--forward-mode=${run.mode}`, '--total-num-mbufs=8191', '--burst=32'],
  });
  try {
    await pmd.cmd('start');
    await sleep(WARMUP_MS);
    await pmd.cmd('clear port stats all');
    const window = new CpuWindow(pmd.pid);
    await sleep(ctx.seconds * 1000);
    const out = await pmd.cmd(`show port stats ${run.ports}`);
    const { elapsed, onCpu } = window.end();
    await pmd.cmd('stop');
    const packets = TestPmd.sumCounter(out, run.counter);
    return { pps: packets / elapsed, ppsOnCpu: packets / onCpu };
  } finally {
    await pmd.stop();
  }
}
