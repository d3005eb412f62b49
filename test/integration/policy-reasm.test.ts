// Reassembly before classification, against the Linux kernel: a kernel sender in a namespace
// sends UDP datagrams larger than the tap's 1500-byte MTU, so they leave it as IPv4 fragments,
// of which only the first carries the UDP header. The core puts them back together before the
// policies look (core/policy/reasm.c), so a policy on the UDP port matches the whole datagram;
// what it sends is larger than the egress MTU and leaves as fragments again, which the kernel
// receivers reassemble and check byte for byte (the kernel drops any datagram whose checksum
// is wrong). Two ways a fragment is "for us": the core's own address, and a policy's service
// address that is not the core's.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { Manifold, type Destination } from '../../ffi/index.js';
import { Peer, PeerSet } from '../support/netns-peer.js';
import { TapTrio } from '../support/tap-trio.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('pra');
const trio = new TapTrio('rs', 40);
const NS = trio.ns;
const PEER = join(repoRoot(), 'dist', 'test', 'integration', 'policy-peer.js');
const CORE_IP = '198.18.40.1';     // the core's address on port s
const SERVICE = '198.18.43.1';     // a policy's service address, not the core's
// 1600 to 3199 bytes: two or three fragments each at MTU 1500
const SIZE = ['--min', '1600', '--spread', '1600'];
// Slow enough that a receiver starved of CPU on a busy machine does not overflow its socket
// buffer (a reassembled datagram costs the kernel the truesize of all its fragments).
const RATE = '200';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** IPv4 fragments at MTU 1500 of the datagrams policy-peer sends with SIZE, seq 0..n-1. */
function fragmentsOf(n: number): number {
  let f = 0;
  for (let seq = 0; seq < n; seq++) f += Math.ceil((8 + 1600 + ((seq * 37) % 1600)) / 1480);
  return f;
}

interface RecvResult { ports: Record<string, { received: number; bad: number; dup: number }> }

describe('policies see whole datagrams: fragments reassembled before classification (kernel)', function () {
  this.timeout(180_000);
  const peerSet = new PeerSet(PEER);
  let mf: Manifold;
  const dest = (side: 'x' | 'y', udpPort: number): Destination => trio.dest(side, udpPort);

  async function receivers(ns: string, ports: number[], n: number): Promise<Peer> {
    const r = peerSet.start(ns, ['recv', '--ports', ports.join(','), '--expect', String(n), '--seconds', '20', ...SIZE]);
    await r.waitFor('listening', 10_000);
    return r;
  }

  async function send(to: string, count: number): Promise<void> {
    const s = peerSet.start(NS.s, ['send', '--to', to, '--count', String(count), '--rate', RATE, '--seconds', '20', ...SIZE]);
    expect((await s.result<{ sent: number }>()).sent, s.out).to.equal(count);
  }

  /** Every port's non-zero counters: what a failed expectation shows. */
  async function countersText(): Promise<string> {
    const st = await mf.stats();
    return JSON.stringify(st.ports.map((p) => Object.fromEntries(Object.entries(p.counters).filter(([, v]) => v !== 0))));
  }

  /** A counter of port s, after the fold that follows what was just sent (every 100 ms). */
  async function portCounter(name: string): Promise<number> {
    await sleep(300);
    const v = (await mf.stats()).ports[0]?.counters[name];
    if (v === undefined) throw new Error(`port s has no counter ${name}`);
    return v;
  }

  before(async () => {
    await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off',
      ports: trio.ports({
        // stack: what no policy takes goes to the stack (ARP for the core's address, ping)
        s: { ip: `${CORE_IP}/24`, forward: 'stack' }, x: { forward: 'drop' }, y: { forward: 'drop' },
      }),
    });
    mf = Manifold.attach(NAME);
    await trio.connect(mf, SERVICE, true);
  });

  after(async () => {
    peerSet.killAll();
    mf?.close();
    await cleanupAppliances([NAME]);
    trio.cleanup();
  });

  it('redirect on a UDP port of the core\'s address: every fragmented datagram arrives whole and byte-identical', async () => {
    const N = 200;
    await mf.policies.add({ id: 'big-redir', match: { protocol: 'udp', dst: CORE_IP, dstPort: 5000 },
      actions: [{ type: 'redirect', destination: dest('x', 6000) }] });
    const done0 = await portCounter('reasm_done');
    const r = await receivers(NS.x, [6000], N);
    await send(`${CORE_IP}:5000`, N);
    const res = await r.result<RecvResult>();
    expect(res.ports['6000'], r.out + await countersText()).to.deep.include({ received: N, bad: 0, dup: 0 });
    const st = await mf.policies.stats('big-redir');
    // whole datagrams matched, not fragments; nothing dropped
    expect(st.matched.packets).to.equal(N);
    expect(Object.values(st.dropped).reduce((a, b) => a + b, 0)).to.equal(0);
    expect(await portCounter('reasm_done') - done0).to.equal(N);
    expect(await portCounter('reasm_drop')).to.equal(0);
    await mf.policies.remove('big-redir');
  });

  it('replicate on a policy\'s own service address (not the core\'s): every subscriber gets every datagram whole', async () => {
    const N = 150;
    const subs = [dest('x', 7001), dest('x', 7002), dest('y', 7003)];
    await mf.policies.add({ id: 'big-fan', match: { protocol: 'udp', dst: SERVICE, dstPort: 5001 },
      actions: [{ type: 'replicate', destinations: subs }] });
    const rx = await receivers(NS.x, [7001, 7002], N);
    const ry = await receivers(NS.y, [7003], N);
    await send(`${SERVICE}:5001`, N);
    const [a, b] = [await rx.result<RecvResult>(), await ry.result<RecvResult>()];
    const diag = await countersText();
    for (const p of ['7001', '7002']) expect(a.ports[p], rx.out + diag).to.deep.include({ received: N, bad: 0, dup: 0 });
    expect(b.ports['7003'], ry.out + diag).to.deep.include({ received: N, bad: 0, dup: 0 });
    const st = await mf.policies.stats('big-fan');
    expect(st.matched.packets).to.equal(N);
    // each copy is larger than the egress MTU: it leaves as the fragments the kernel sent
    const f = fragmentsOf(N);
    expect(st.destinations.map((d) => d.packets)).to.deep.equal([f, f, f]);
    expect(Object.values(st.dropped).reduce((x, y) => x + y, 0)).to.equal(0);
    expect(await portCounter('reasm_drop')).to.equal(0);
    await mf.policies.remove('big-fan');
  });

  it('a reassembled datagram no policy takes goes to the port\'s mode whole: the stack answers a 4000-byte ping', async () => {
    // a policy is installed (so classification runs), but not for ICMP
    await mf.policies.add({ id: 'other', match: { protocol: 'udp', dst: CORE_IP, dstPort: 5999 },
      actions: [{ type: 'drop' }] });
    const done0 = await portCounter('reasm_done');
    const ping = spawnSync('ip', ['netns', 'exec', NS.s, 'ping', '-c', '3', '-i', '0.2', '-W', '2', '-s', '4000', CORE_IP], { encoding: 'utf8', timeout: 20_000 });
    expect(ping.stdout, ping.stdout + ping.stderr).to.match(/3 received/);
    expect(await portCounter('icmp_echo_rx')).to.equal(3);
    expect(await portCounter('reasm_done') - done0).to.equal(3);
    await mf.policies.remove('other');
  });
});
