// Policies against the Linux kernel's own UDP: kernel hosts in namespaces on the core's tap
// ports. A sender namespace sends to the core's service address; redirect and replicate
// policies rewrite the datagrams toward receiver sockets in other namespaces, on other ports.
// The receivers check every datagram byte for byte, and the kernel drops any whose checksum is
// wrong, so "all received" means rewrite and checksums are right. Counters must agree.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { Manifold, type Destination, type Policy } from '../../ffi/index.js';
import { Peer, PeerSet } from '../support/netns-peer.js';
import { TapTrio } from '../support/tap-trio.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('pk');
const trio = new TapTrio('pk', 20);
const NS = trio.ns;
const PEER = join(repoRoot(), 'dist', 'test', 'integration', 'policy-peer.js');
const SERVICE = '198.18.20.1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));


const peerSet = new PeerSet(PEER);
const peers = peerSet.all;
const peer = (ns: string, args: string[]): Peer => peerSet.start(ns, args);

interface RecvResult { ports: Record<string, { received: number; bad: number; dup: number; first: number; last: number }> }

async function receivers(ns: string, ports: number[], expectN: number, seconds = 15, idleMs = 0): Promise<Peer> {
  const r = peer(ns, ['recv', '--ports', ports.join(','), '--expect', String(expectN), '--seconds', String(seconds),
    '--idle-ms', String(idleMs)]);
  await r.waitFor('listening', 10_000);
  return r;
}

async function send(dstPort: number, count: number, rate = 1000, first = 0): Promise<void> {
  const s = peer(NS.s, ['send', '--to', `${SERVICE}:${dstPort}`, '--count', String(count), '--rate', String(rate), '--first', String(first), '--seconds', '20']);
  const res = await s.result<{ sent: number }>();
  expect(res.sent, s.out).to.equal(count);
}

describe('policies against the kernel (tap namespaces)', function () {
  this.timeout(180_000);
  let mf: Manifold;
  const dest = (side: 'x' | 'y', udpPort: number): Destination => trio.dest(side, udpPort);
  const service = (id: string, dstPort: number, actions: Policy['actions'], lifetime: Policy['lifetime'] = 'persistent'): Policy => ({
    id, priority: 10, lifetime, match: { protocol: 'udp', dst: SERVICE, dstPort }, actions,
  });

  before(async () => {
    await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off', forward: 'drop',
      ports: trio.ports(),
    });
    mf = Manifold.attach(NAME);
    await trio.connect(mf, SERVICE);
  });

  after(async () => {
    for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    mf?.close();
    await cleanupAppliances([NAME]);
    trio.cleanup();
  });

  it('redirect: every datagram reaches the kernel receiver intact, and the counters agree', async () => {
    const N = 300;
    await mf.policies.add(service('redir', 5000, [{ type: 'redirect', destination: dest('x', 6000) }]));
    const r = await receivers(NS.x, [6000], N);
    await send(5000, N);
    const res = await r.result<RecvResult>();
    expect(res.ports['6000'], r.out).to.deep.include({ received: N, bad: 0, dup: 0 });
    const st = await mf.policies.stats('redir');
    expect(st.matched.packets).to.equal(N);
    expect(st.sent.packets).to.equal(N);
    expect(st.destinations[0]!.packets).to.equal(N);
    await mf.policies.remove('redir');
    expect(await mf.policies.list()).to.deep.equal([]);
  });

  it('replicate: four subscribers on two ports each get every datagram; per-destination counters agree', async () => {
    const N = 400;
    const subs = [dest('x', 7001), dest('x', 7002), dest('y', 7003), dest('y', 7004)];
    await mf.policies.add(service('fanout', 5001, [{ type: 'replicate', destinations: subs }]));
    const rx = await receivers(NS.x, [7001, 7002], N);
    const ry = await receivers(NS.y, [7003, 7004], N);
    await send(5001, N);
    const [a, b] = [await rx.result<RecvResult>(), await ry.result<RecvResult>()];
    for (const [res, ports] of [[a, ['7001', '7002']], [b, ['7003', '7004']]] as const) {
      for (const p of ports) expect(res.ports[p], `port ${p}: ${rx.out} ${ry.out}`).to.deep.include({ received: N, bad: 0, dup: 0 });
    }
    const st = await mf.policies.stats('fanout');
    expect(st.matched.packets).to.equal(N);
    expect(st.sent.packets).to.equal(4 * N);
    expect(st.destinations.map((d) => d.packets)).to.deep.equal([N, N, N, N]);
    expect(Object.values(st.dropped).reduce((x, y) => x + y, 0)).to.equal(0);
    const got = await mf.policies.get('fanout');
    expect(got.actions).to.deep.equal([{ type: 'replicate', destinations: subs }]);
  });

  it('a subscriber added mid-stream starts receiving with no loss at the others', async () => {
    const N = 1500;
    const r1 = await receivers(NS.x, [7001, 7002], N, 30);
    // 7005 joins mid-stream and never gets all N: the stream's end (3 s of quiet) ends it
    const r2 = await receivers(NS.y, [7003, 7004, 7005], N, 30, 3000);
    const base = (await mf.policies.stats('fanout')).matched.packets;
    const sending = send(5001, N, 1000, 100_000);
    // Mid-stream: once the core has replicated a few hundred of them.
    const t0 = Date.now();
    while ((await mf.policies.stats('fanout')).matched.packets < base + 300) {
      if (Date.now() - t0 > 15_000) throw new Error('the stream did not start');
      await sleep(20);
    }
    await mf.policies.addDestinations('fanout', [dest('y', 7005)]);
    await sending;
    const a = await r1.result<RecvResult>();
    const b = await r2.result<RecvResult>();
    for (const p of ['7001', '7002']) expect(a.ports[p], r1.out).to.deep.include({ received: N, bad: 0, dup: 0 });
    for (const p of ['7003', '7004']) expect(b.ports[p], r2.out).to.deep.include({ received: N, bad: 0, dup: 0 });
    // The newcomer: a late start, then everything up to the end, no gap.
    const late = b.ports['7005']!;
    expect(late.received, r2.out).to.be.greaterThan(0).and.lessThan(N);
    expect(late.bad).to.equal(0);
    expect(late.last).to.equal(100_000 + N - 1);
    expect(late.last - late.first + 1).to.equal(late.received);
    await mf.policies.removeDestinations('fanout', [dest('y', 7005)]);
    expect((await mf.policies.stats('fanout')).destinations).to.have.length(4);
  });

  it('two clients: killing one removes its client-scoped policy and leaves the other working', async () => {
    // Client A is another process; it adds a client-scoped policy and waits to be killed.
    const code = `import { Manifold } from ${JSON.stringify(join(repoRoot(), 'dist', 'ffi', 'index.js'))};
const mf = Manifold.attach(${JSON.stringify(NAME)});
await mf.policies.add(${JSON.stringify(service('client-a', 5010, [{ type: 'redirect', destination: dest('x', 7100) }], 'client'))});
console.log('added');
setInterval(() => {}, 1000);`;
    const childA = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    const a = new Peer(childA);
    peers.push(a);
    await a.waitFor('added', 15_000);
    await mf.policies.add(service('client-b', 5011, [{ type: 'redirect', destination: dest('y', 7200) }], 'client'));
    const ids = (await mf.policies.list()).map((p) => p.id);
    expect(ids).to.include.members(['client-a', 'client-b']);

    const ra = await receivers(NS.x, [7100], 100);
    const rb = await receivers(NS.y, [7200], 100);
    await send(5010, 100);
    await send(5011, 100);
    expect((await ra.result<RecvResult>()).ports['7100']!.received).to.equal(100);
    expect((await rb.result<RecvResult>()).ports['7200']!.received).to.equal(100);

    childA.kill('SIGKILL');
    await a.done;
    const t0 = Date.now();
    while ((await mf.policies.list()).some((p) => p.id === 'client-a')) {
      if (Date.now() - t0 > 5000) throw new Error('client-a outlived its client');
      await sleep(50);
    }
    const rb2 = await receivers(NS.y, [7200], 100);
    const ra2 = await receivers(NS.x, [7100], 100, 3);
    await send(5011, 100);
    await send(5010, 100);
    expect((await rb2.result<RecvResult>()).ports['7200']!.received).to.equal(100);
    expect((await ra2.result<RecvResult>()).ports['7100']!.received).to.equal(0);
    expect((await mf.policies.stats('client-b')).matched.packets).to.equal(200);
  });
});
