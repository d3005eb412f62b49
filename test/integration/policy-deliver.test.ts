// The policy action deliver against the kernel: one net_tap port (stack mode, so the kernel
// resolves the core by ARP) whose kernel side lives in a namespace this test creates. A kernel
// UDP sender sends to a service port that no socket is bound to; a policy of the app delivers
// it to a socket the app bound on another port, where the app reads every datagram intact
// through the ordinary recv API. Drops are counted by reason (no socket), and a policy that
// names another client's socket delivers nothing to it.
import { collect } from '../support/datagrams.js';
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { Manifold } from '../../ffi/index.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('dlv');
const tag = process.pid % 100000;
const NS = `mfd-${tag}`;
const IF = `mfd${tag}`;
const NET = `198.19.${(tag + 7) % 250}`;
const CORE_IP = `${NET}.1`;
const KERNEL_IP = `${NET}.2`;
const PEER = join(repoRoot(), 'dist', 'apps', 'demo', 'udp-peer.js');

function removeNamespace(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  if (list.split('\n').some((l) => l.split(' ')[0] === NS)) spawnSync('ip', ['netns', 'del', NS]);
}


async function send(port: number, count: number, size: number): Promise<void> {
  const run = spawn('ip', ['netns', 'exec', NS, process.execPath, PEER, 'send', '--to', `${CORE_IP}:${port}`,
    '--count', String(count), '--size', String(size), '--rate', '2000', '--seconds', '30', '--report-ms', '200']);
  await new Promise((r) => run.on('exit', r));
}

describe('policy action deliver (kernel sender in a namespace)', function () {
  this.timeout(120_000);
  let m: Manifold;
  let other: Manifold;

  before(async function () {
    removeNamespace();
    await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off',
      ports: [{ name: 'p0', dev: `net_tap0,iface=${IF}`, netns: NS, peerIp: `${KERNEL_IP}/24`,
        ip: [`${CORE_IP}/24`], forward: 'stack' }],
    });
    m = Manifold.attach(NAME);
    other = Manifold.attach(NAME);
    // The kernel learns the core's MAC before the counted datagrams: a fresh namespace would
    // otherwise ARP with the first of them queued, and on a loaded machine (an answer later
    // than the kernel's queue holds) drop some there, before the core could see them. ARP
    // itself is tested in stack-kernel.test.ts.
    for (let i = 0; i < 5; i++) {
      if (spawnSync('ip', ['netns', 'exec', NS, 'ping', '-c', '1', '-W', '2', CORE_IP]).status === 0) break;
    }
  });

  after(async () => {
    m?.close();
    other?.close();
    await cleanupAppliances([NAME]);
    removeNamespace();
  });

  it('hands every matched datagram, intact, to the socket the policy names', async () => {
    const sock = await m.stack.udp.bind(CORE_IP, 7200);
    try {
      await m.policies.add({ id: 'dl', lifetime: 'client', match: { protocol: 'udp', dst: CORE_IP, dstPort: 7100 },
        actions: [{ type: 'deliver', socket: { ip: CORE_IP, port: 7200 } }] });
      expect((await m.policies.get('dl')).actions).to.deep.equal([{ type: 'deliver', socket: { ip: CORE_IP, port: 7200 } }]);
      let want = 0;
      for (const [count, size] of [[300, 300], [50, 1400]] as const) {
        const [got] = await Promise.all([collect(sock, count, 15_000), send(7100, count, size)]);
        const seqs = new Set<number>();
        for (const d of got) {
          expect(d.data.length).to.equal(size);
          expect(d.from.ip).to.equal(KERNEL_IP);
          expect(d.to).to.deep.equal({ ip: CORE_IP, port: 7100 }); // as it was addressed
          seqs.add(d.data.readUInt32BE(0));
          expect(d.data.subarray(4).every((b) => b === 0x6d), 'payload intact').to.equal(true);
        }
        // what the kernel side did with them, should any be missing
        const tap = (): string => spawnSync('ip', ['netns', 'exec', NS, 'ip', '-s', 'link', 'show', IF], { encoding: 'utf8' }).stdout;
        expect(got.length, got.length === count ? '' : tap()).to.equal(count);
        expect([...seqs].sort((a, b) => a - b)).to.deep.equal([...Array(count).keys()]);
        want += count;
      }
      const s = await m.policies.stats('dl');
      expect(s.matched.packets).to.equal(want);
      expect(s.destinations).to.have.length(1);
      expect(s.destinations[0]!.packets).to.equal(want); // delivered
      expect(s.destinations[0]!.bytes).to.equal(300 * 300 + 50 * 1400);
      expect(Object.values(s.dropped).reduce((a, b) => a + b, 0)).to.equal(0);
      // the stack itself saw none of them: nothing is bound at 7100
      expect((await m.stats()).ports[0]!.counters.udp_rx).to.equal(0);
    } finally {
      await sock.close();
    }
  });

  it('counts no_socket when the socket is closed, or is another client\'s', async () => {
    // the socket of the first test is closed: the policy's datagrams are dropped and counted
    await send(7100, 20, 100);
    const until = Date.now() + 5000;
    let s = await m.policies.stats('dl');
    while (s.dropped.no_socket! < 20 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      s = await m.policies.stats('dl');
    }
    expect(s.dropped.no_socket).to.equal(20);
    expect(s.destinations[0]!.packets).to.equal(350);

    // another client's socket at the named address: not this policy's to fill
    const theirs = await other.stack.udp.bind(CORE_IP, 7200);
    try {
      const [got] = await Promise.all([collect(theirs, 1, 1500), send(7100, 10, 100)]);
      expect(got).to.have.length(0);
      s = await m.policies.stats('dl');
      expect(s.dropped.no_socket).to.equal(30);
    } finally {
      await theirs.close();
    }
  });

  it('dpdk-telemetry.py reads /manifold/policies, /manifold/policy and /manifold/neigh', function () {
    if (spawnSync('sh', ['-c', 'command -v dpdk-telemetry.py']).status !== 0) this.skip();
    const r = spawnSync('dpdk-telemetry.py', ['-f', `manifold-${NAME}`], {
      input: '/manifold/policies\n/manifold/policy,dl\n/manifold/neigh\n/manifold/neigh,p0\n/manifold/policy,nothing\n/manifold/neigh,7\n',
      encoding: 'utf8', timeout: 30_000,
    });
    expect(r.status, r.stderr).to.equal(0);
    const replies = r.stdout.split('\n').filter((l) => l.startsWith('{"/manifold/')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies, r.stdout).to.have.length(6);
    const get = (i: number): unknown => Object.values(replies[i]!)[0];
    const one = get(1) as Record<string, unknown>;
    expect(one).to.include({ id: 'dl', lifetime: 'client', matched_packets: 380, no_socket: 30, socket_full: 0, bad_udp: 0, dropped: 30 });
    expect(get(0)).to.deep.equal(['dl matched 380 sent 0 dropped 30']);
    // the core learnt the kernel's MAC from its ARP request
    const kernelMac = spawnSync('ip', ['netns', 'exec', NS, 'cat', `/sys/class/net/${IF}/address`], { encoding: 'utf8' }).stdout.trim();
    const want = new RegExp(`^p0 ${KERNEL_IP.replace(/\./g, '\\.')} (reachable|stale) ${kernelMac.toLowerCase()} queued 0 age_ms \\d+ probes \\d+$`);
    for (const i of [2, 3]) {
      const list = get(i) as string[];
      expect(list.filter((e) => want.test(e)), JSON.stringify(list)).to.have.length(1);
    }
    expect(replies[4]).to.deep.equal({ '/manifold/policy': null });
    expect(replies[5]).to.deep.equal({ '/manifold/neigh': null });
  });

  it('refuses deliver without lifetime client, naming the field', async () => {
    const e = await m.policies.add({ id: 'dl2', match: { protocol: 'udp' }, actions: [{ type: 'deliver', socket: { port: 7200 } }] })
      .catch((x: Error) => x);
    expect(String(e)).to.match(/lifetime: actions\[0\] \(deliver\) hands packets to a socket of the app that adds the policy, so "lifetime" must be "client"/);
  });
});
