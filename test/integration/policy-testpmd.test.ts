// Interop with dpdk-testpmd over virtio-user <-> vhost-user: testpmd A (txonly) feeds the core's
// port `in` through a vhost-user socket; a replicate policy with N destinations sends out of
// port `out` into testpmd B (rxonly), which must count N times the packets the core matched,
// less exactly what the core counted as not sent. vhost-user shares memory between the
// processes, which needs hugepages: without any reserved the test is skipped, saying so.
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { TestPmd } from '../../apps/peers/testpmd.js';
import { Manifold, type Destination } from '../../ffi/index.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('ptp');
const SOCK_A = `/tmp/mf-ptp-a-${process.pid}.sock`;
const SOCK_B = `/tmp/mf-ptp-b-${process.pid}.sock`;
const N = 4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freeHugepages(): number {
  const f = '/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages';
  return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : 0;
}

const vhostPeer = (sock: string, mode: string, extra: string[] = []): { eal: string[]; app: string[] } => ({
  eal: ['-l', '0-1', '--no-pci', '-m', '128', '--single-file-segments', '--vdev', `net_vhost0,iface=${sock},queues=1`,
    '--log-level', 'lib.eal:warning'],
  app: [`--forward-mode=${mode}`, '--total-num-mbufs=4096', '--burst=32', ...extra],
});

describe('policies against dpdk-testpmd (virtio-user <-> vhost-user)', function () {
  this.timeout(180_000);
  const tx = new TestPmd();
  const rx = new TestPmd();
  let mf: Manifold | undefined;

  before(function () {
    // three DPDK processes take 128 MB each at most
    if (freeHugepages() < 3 * 64 + 32) {
      console.log(`    (skipped: vhost-user needs shared hugepage memory; ${freeHugepages()} free 2 MiB pages, want 224)`);
      this.skip();
    }
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([NAME]);
    await tx.stop().catch(() => undefined);
    await rx.stop().catch(() => undefined);
    rmSync(SOCK_A, { force: true });
    rmSync(SOCK_B, { force: true });
  });

  it(`testpmd txonly -> core replicate x${N} -> testpmd rxonly counts N times the packets`, async () => {
    await rx.start(vhostPeer(SOCK_B, 'rxonly'));
    await tx.start(vhostPeer(SOCK_A, 'txonly', ['--tx-ip=198.18.50.1,198.18.50.2', '--tx-udp=9,9', '--txpkts=64']));
    const app = await startAppliance({
      name: NAME, lcores: 2, hugepages: 'on', forward: 'drop',
      ports: [
        { name: 'in', dev: `net_virtio_user0,path=${SOCK_A},queues=1` },
        { name: 'out', dev: `net_virtio_user1,path=${SOCK_B},queues=1` },
      ],
    });
    mf = Manifold.attach(NAME);
    const dests: Destination[] = Array.from({ length: N }, (_, i) => ({ port: 'out', ip: `198.18.51.${10 + i}`, udpPort: 7000 + i, mac: '02:00:00:00:51:01', srcIp: '198.18.51.1' }));
    await mf.policies.add({ id: 'tp-fan', match: { protocol: 'udp', dst: '198.18.50.2', dstPort: 9 }, actions: [{ type: 'replicate', destinations: dests }] });
    await rx.cmd('start');
    await tx.cmd('start');
    await sleep(2000);
    await tx.cmd('stop');
    await sleep(500); // let the rings drain
    const rxOut = await rx.cmd('show port stats all');
    await rx.cmd('stop');
    const received = TestPmd.sumCounter(rxOut, 'RX-packets');
    const st = await mf.policies.stats('tp-fan');
    const ps = await mf.stats();
    const txOut = await tx.cmd('show port stats all');
    const diag = `core ports: ${JSON.stringify(ps.ports.map((p) => [p.name, p.counters.rx_packets, p.counters.fwd_in, p.counters.tx_packets]))}; testpmd tx: ${TestPmd.sumCounter(txOut, 'TX-packets')}\n${app.output}\n${txOut}`;
    const notSent = st.dropped.nombuf + st.dropped.tx_full;
    expect(st.matched.packets, diag).to.be.greaterThan(1000);
    expect(st.sent.packets + notSent).to.equal(N * st.matched.packets);
    expect(received, `rx ${received}, core sent ${st.sent.packets}, not sent ${notSent}`).to.equal(st.sent.packets);
    for (const d of st.destinations) expect(d.packets + d.dropped.nombuf + d.dropped.txFull).to.equal(st.matched.packets);
    console.log(`    matched ${st.matched.packets}, copies sent ${st.sent.packets}, testpmd rx ${received}, not sent ${notSent}`);
  });
});
