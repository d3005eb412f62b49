// The policy engine at the edges of its mbufs (issue #4's leftovers).
//
// Exhaustion: the policy pools cut to their smallest (policyMbufs 63) and a replicate to 256
// destinations on an endless stream: most copies find no mbuf. Each is dropped and counted as
// nombuf, for the policy and for its destination, and every copy is accounted for: sent +
// nombuf = matched x destinations, exactly. The core survives, and once the fan-out is gone
// a replicate the pools can carry loses nothing (so no mbuf leaked while they were dry).
//
// Chains in: port mbufs cut to 512 bytes (384 of data), so the tap scatters every frame
// longer than that into an mbuf chain. Redirect and replicate rewrite such chains toward
// kernel receivers, which check every datagram byte for byte; the kernel drops any whose
// checksum is wrong, so "all received" means the rewrite and the checksums are right.
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { Manifold, type Destination, type Policy, type PolicyStats } from '../../ffi/index.js';
import { pcapFile, udpFrame } from '../../apps/peers/udp-frames.js';
import { Peer, PeerSet, kernelMac } from '../support/netns-peer.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** The frame with DF set in its IPv4 header (and the header checksum redone). */
function withDf(frame: Buffer): Buffer {
  const f = Buffer.from(frame);
  f[14 + 6] = f[14 + 6]! | 0x40;
  f.writeUInt16BE(0, 14 + 10);
  let c = 0;
  for (let i = 14; i < 34; i += 2) c += f.readUInt16BE(i);
  while (c > 0xffff) c = (c & 0xffff) + (c >>> 16);
  f.writeUInt16BE(~c & 0xffff, 14 + 10);
  return f;
}

describe('policy copies when the policy pools run dry (net_pcap stream -> net_null)', function () {
  this.timeout(60_000);
  const NAME = uniqueName('pmx');
  const PCAP = join(tmpdir(), `mf-policy-mbufs-${process.pid}.pcap`);
  const SVC = { protocol: 'udp' as const, dst: '198.18.50.1', dstPort: 5000 };
  const dest = (i: number): Destination => ({ port: 'out', ip: `198.18.51.${(i % 250) + 1}`, udpPort: 7000 + i, mac: '02:00:00:00:00:09', srcIp: '198.18.52.1' });
  const fanout = (id: string, n: number): Policy => ({ id, priority: 1, match: SVC,
    actions: [{ type: 'replicate', destinations: Array.from({ length: n }, (_, i) => dest(i)) }] });
  let mf: Manifold;

  /** Runs the stream through `id` for a while, then parks it behind a higher-priority drop so
   * the counters stand still, and reads them. */
  async function settled(id: string, match: Policy['match'] = SVC): Promise<PolicyStats> {
    await sleep(600);
    await mf.policies.add({ id: 'stopper', priority: 100, match, actions: [{ type: 'drop' }] });
    await sleep(300); // the burst in flight under the old table ends
    const st = await mf.policies.stats(id);
    await mf.policies.remove('stopper');
    return st;
  }

  before(async () => {
    // the fan-out's datagram, and two larger than net_null's 1500-byte MTU: with DF, without
    writeFileSync(PCAP, pcapFile([udpFrame('198.18.50.1', 5000, 300),
      withDf(udpFrame('198.18.50.1', 5002, 2000)), udpFrame('198.18.50.1', 5003, 2000)]));
    await startAppliance({
      name: NAME, lcores: 1, hugepages: 'off', forward: 'drop', policyMbufs: 63,
      ports: [
        { name: 'in', dev: `net_pcap0,rx_pcap=${PCAP},infinite_rx=1` },
        { name: 'out', dev: 'net_null0' },
      ],
    });
    mf = Manifold.attach(NAME);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([NAME]);
    rmSync(PCAP, { force: true });
  });

  it('every copy without an mbuf is counted nombuf for its policy and destination; the core goes on', async () => {
    const N = 256;
    await mf.policies.add(fanout('big', N));
    const st = await settled('big');
    const nombuf = st.dropped.nombuf ?? 0;
    expect(st.matched.packets).to.be.above(0);
    expect(nombuf, 'copies dropped for want of an mbuf').to.be.above(0);
    expect(st.sent.packets, 'copies sent').to.be.above(0);
    expect(st.sent.packets + nombuf).to.equal(N * st.matched.packets);
    expect(st.destinations).to.have.length(N);
    expect(sum(st.destinations.map((d) => d.packets))).to.equal(st.sent.packets);
    expect(sum(st.destinations.map((d) => d.dropped.nombuf))).to.equal(nombuf);
    const others = Object.entries(st.dropped).filter(([k]) => k !== 'nombuf');
    expect(sum(others.map(([, v]) => v)), JSON.stringify(st.dropped)).to.equal(0);
    await mf.policies.remove('big');

    // The same core, a fan-out the pools can carry (one copy per packet: a burst of 32
    // stages at most 32 header mbufs and 32 clones before its tx burst): nothing is lost,
    // so the pools got back every mbuf the run dry took.
    await mf.policies.add(fanout('small', 1));
    const ok = await settled('small');
    expect(ok.matched.packets).to.be.above(0);
    expect(ok.sent.packets).to.equal(ok.matched.packets);
    expect(sum(Object.values(ok.dropped))).to.equal(0);
    await mf.policies.remove('small');
  });

  it('a datagram larger than the egress MTU leaves as fragments; with DF it is dropped as too_big', async () => {
    const to = (port: number): Policy['match'] => ({ ...SVC, dstPort: port });
    await mf.policies.add({ id: 'df', match: to(5002), actions: [{ type: 'redirect', destination: dest(0) }] });
    const df = await settled('df', to(5002));
    expect(df.matched.packets).to.be.above(0);
    expect(df.dropped.too_big).to.equal(df.matched.packets);
    expect(df.sent.packets).to.equal(0);
    await mf.policies.remove('df');
    await mf.policies.add({ id: 'nodf', match: to(5003), actions: [{ type: 'redirect', destination: dest(0) }] });
    const ok = await settled('nodf', to(5003));
    expect(ok.matched.packets).to.be.above(0);
    // 2008 bytes of IPv4 payload at MTU 1500: fragments of 1480 and 528 bytes
    expect(ok.sent.packets).to.equal(2 * ok.matched.packets);
    expect(ok.sent.bytes).to.equal(ok.matched.packets * (2 * (14 + 20) + 2008));
    expect(sum(Object.values(ok.dropped))).to.equal(0);
    await mf.policies.remove('nodf');
  });
});

describe('mbuf chains through redirect and replicate (tap, 512-byte port mbufs, kernel receivers)', function () {
  this.timeout(120_000);
  const NAME = uniqueName('pmc');
  const tag = process.pid % 100000;
  const NS = { s: `mfmc-s-${tag}`, x: `mfmc-x-${tag}` };
  const IF = { s: `mfcs${tag}`, x: `mfcx${tag}` };
  const PEER = join(repoRoot(), 'dist', 'test', 'integration', 'policy-peer.js');
  const SERVICE = '198.18.55.1';
  const peerSet = new PeerSet(PEER);
  let mf: Manifold;
  let macX: string;

  const dest = (udpPort: number): Destination => ({ port: 'x', ip: '198.18.56.2', udpPort, mac: macX, srcIp: '198.18.56.1' });
  interface RecvResult { ports: Record<string, { received: number; bad: number; dup: number }> }

  async function receivers(ports: number[], n: number): Promise<Peer> {
    const r = peerSet.start(NS.x, ['recv', '--ports', ports.join(','), '--expect', String(n), '--seconds', '20']);
    await r.waitFor('listening', 10_000);
    return r;
  }

  async function send(dstPort: number, count: number): Promise<void> {
    // 16 to 1215 bytes of payload: frames of 58 to 1257 bytes, one to four 384-byte segments
    const s = peerSet.start(NS.s, ['send', '--to', `${SERVICE}:${dstPort}`, '--count', String(count), '--rate', '1000', '--seconds', '20']);
    expect((await s.result<{ sent: number }>()).sent, s.out).to.equal(count);
  }

  before(async () => {
    const app = await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off', forward: 'drop', mbufDataRoom: 512,
      ports: [
        { name: 's', dev: `net_tap0,iface=${IF.s}`, netns: NS.s, peerIp: '198.18.55.2/24' },
        { name: 'x', dev: `net_tap1,iface=${IF.x}`, netns: NS.x, peerIp: '198.18.56.2/24' },
      ],
    });
    // the core asked the tap for chains: 1514-byte frames do not fit 384 bytes of data
    expect(app.output).to.match(/port s: rx scatter on: frames of up to \d+ bytes arrive as chains of 384-byte mbufs/);
    mf = Manifold.attach(NAME);
    const ports = await mf.ports();
    spawnSync('ip', ['-n', NS.s, 'neigh', 'replace', SERVICE, 'lladdr', ports[0]!.mac, 'dev', IF.s, 'nud', 'permanent']);
    macX = kernelMac(NS.x, IF.x);
  });

  after(async () => {
    peerSet.killAll();
    mf?.close();
    await cleanupAppliances([NAME]);
    for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  });

  it('redirect: chained datagrams arrive byte-identical, checksums accepted', async () => {
    const N = 300;
    await mf.policies.add({ id: 'chain-redir', match: { protocol: 'udp', dst: SERVICE, dstPort: 5000 },
      actions: [{ type: 'redirect', destination: dest(6000) }] });
    const r = await receivers([6000], N);
    await send(5000, N);
    expect((await r.result<RecvResult>()).ports['6000'], r.out).to.deep.include({ received: N, bad: 0, dup: 0 });
    const st = await mf.policies.stats('chain-redir');
    expect(st.matched.packets).to.equal(N);
    expect(st.sent.packets).to.equal(N);
  });

  it('replicate: each copy (a header mbuf on a clone of the chain) arrives byte-identical', async () => {
    const N = 300;
    await mf.policies.add({ id: 'chain-fan', match: { protocol: 'udp', dst: SERVICE, dstPort: 5001 },
      actions: [{ type: 'replicate', destinations: [dest(7001), dest(7002), dest(7003)] }] });
    const r = await receivers([7001, 7002, 7003], N);
    await send(5001, N);
    const res = await r.result<RecvResult>();
    for (const p of ['7001', '7002', '7003']) expect(res.ports[p], r.out).to.deep.include({ received: N, bad: 0, dup: 0 });
    const st = await mf.policies.stats('chain-fan');
    expect(st.matched.packets).to.equal(N);
    expect(st.destinations.map((d) => d.packets)).to.deep.equal([N, N, N]);
  });
});
