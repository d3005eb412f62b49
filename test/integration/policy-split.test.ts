// split against the Linux kernel's UDP: a kernel sender in one namespace sends to the core's
// service address, split policies cut every datagram and redirect (or replicate) the pieces to
// kernel receivers in other namespaces. The kernel drops any piece whose UDP checksum is
// wrong; the receivers hand every datagram back and the shipped decoders
// (apps/policy/decoders.ts) must restore each message byte for byte, in order.
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { FramedDecoder, SplitDatagramDecoder, encodeFramed } from '../../apps/policy/index.js';
import { Manifold, PolicyOp, encodePolicy, type Destination, type Policy } from '../../ffi/index.js';
import { Peer, PeerSet } from '../support/netns-peer.js';
import { TapTrio, bytes } from '../support/tap-trio.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('psp');
const tag = process.pid % 100000;
const trio = new TapTrio('sp', 40);
const NS = trio.ns;
const PEER = join(repoRoot(), 'dist', 'test', 'integration', 'hex-peer.js');
const SERVICE = '198.18.40.1';
const files: string[] = [];


const peerSet = new PeerSet(PEER);
const peers = peerSet.all;
const peer = (ns: string, args: string[]): Peer => peerSet.start(ns, args);

interface RecvResult { ports: Record<string, string[]> }

async function receive(ns: string, ports: number[], expectN: number, idleMs = 0): Promise<Peer> {
  const r = peer(ns, ['recv', '--ports', ports.join(','), '--expect', String(expectN), '--seconds', '20', '--idle-ms', String(idleMs)]);
  await r.waitFor('listening', 10_000);
  return r;
}

async function send(dstPort: number, payloads: Buffer[]): Promise<void> {
  const file = join(tmpdir(), `mf-split-${tag}-${dstPort}.hex`);
  files.push(file);
  writeFileSync(file, payloads.map((p) => p.toString('hex')).join('\n') + '\n');
  const s = peer(NS.s, ['send', '--to', `${SERVICE}:${dstPort}`, '--file', file, '--gap-ms', '1']);
  const res = await s.result<{ sent: number }>();
  expect(res.sent, s.out).to.equal(payloads.length);
}

describe('policy split against the kernel (tap namespaces)', function () {
  this.timeout(180_000);
  let mf: Manifold;
  const dest = (side: 'x' | 'y', udpPort: number): Destination => trio.dest(side, udpPort);
  const service = (id: string, dstPort: number, actions: Policy['actions']): Policy => ({
    id, priority: 10, match: { protocol: 'udp', dst: SERVICE, dstPort }, actions,
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
    for (const f of files) rmSync(f, { force: true });
  });

  it('datagram mode with header: every piece a valid datagram, the decoder restores each message', async () => {
    const N = 200;
    const msgs = Array.from({ length: N }, (_, i) => bytes(1 + ((i * 97) % 1400), i));
    const pieces = msgs.reduce((s, m) => s + Math.ceil(m.length / (300 - 8)), 0);
    await mf.policies.add(service('split-dg', 5100, [
      { type: 'split', mode: 'datagram', maxPayload: 300, header: true },
      { type: 'redirect', destination: dest('x', 6100) },
    ]));
    expect((await mf.policies.get('split-dg')).actions[0]).to.deep.equal({ type: 'split', mode: 'datagram', maxPayload: 300, header: true });
    const r = await receive(NS.x, [6100], pieces);
    await send(5100, msgs);
    const got = (await r.result<RecvResult>()).ports['6100']!.map((h) => Buffer.from(h, 'hex'));
    expect(got.length, r.out.slice(0, 500)).to.equal(pieces);
    for (const d of got) expect(d.length).to.be.at.most(300);
    const dec = new SplitDatagramDecoder();
    const out = got.map((d) => dec.push(d)).filter((m): m is Buffer => m !== undefined);
    expect(out.length).to.equal(N);
    out.forEach((m, i) => expect(m.equals(msgs[i]!), `message ${i}`).to.equal(true));
    const st = await mf.policies.stats('split-dg');
    expect(st.matched.packets).to.equal(N);
    expect(st.sent.packets).to.equal(pieces);
    expect(Object.values(st.dropped).reduce((a, b) => a + b, 0)).to.equal(0);
  });

  it('datagram mode on reassembled datagrams: small pieces copied across fragment boundaries, big pieces shared', async () => {
    // 2000..8000-byte messages leave the kernel as IPv4 fragments, so the core splits mbuf
    // chains: 1100-byte pieces are copied whole (and cross the fragments' boundaries), 3000-byte
    // pieces ride on the fragments' own buffers and leave fragmented again at the MTU. 1201:
    // an odd piece length, so a piece's copy crosses a fragment boundary at an odd offset
    // (its sum byte-swapped); 50-60 KB messages give more than 32 pieces each (staged runs).
    const N = 40;
    const mid = Array.from({ length: N }, (_, i) => bytes(2000 + ((i * 1543) % 6000), 100 + i));
    const big = Array.from({ length: 6 }, (_, i) => bytes(50_000 + i * 1999, 200 + i));
    for (const [udp, max, msgs] of [[5106, 1100, mid], [5107, 3000, mid], [5108, 1201, big]] as const) {
      const id = `split-chain-${max}`;
      const chunk = max - 8;
      const pieces = msgs.reduce((s, m) => s + Math.ceil(m.length / chunk), 0);
      await mf.policies.add(service(id, udp, [
        { type: 'split', mode: 'datagram', maxPayload: max, header: true },
        { type: 'redirect', destination: dest('x', udp + 1000) },
      ]));
      const r = await receive(NS.x, [udp + 1000], pieces);
      await send(udp, msgs);
      const got = (await r.result<RecvResult>()).ports[String(udp + 1000)]!.map((h) => Buffer.from(h, 'hex'));
      expect(got.length, `${id}: ${r.out.slice(0, 500)}`).to.equal(pieces);
      const dec = new SplitDatagramDecoder();
      const out = got.map((d) => dec.push(d)).filter((m): m is Buffer => m !== undefined);
      expect(out.length, id).to.equal(msgs.length);
      out.forEach((m, i) => expect(m.equals(msgs[i]!), `${id}: message ${i}`).to.equal(true));
      const st = await mf.policies.stats(id);
      // sent counts frames: a 3000-byte piece leaves as fragments at the egress MTU
      if (max < 1500) expect(st.sent.packets, id).to.equal(pieces);
      else expect(st.sent.packets, id).to.be.greaterThan(pieces);
      expect(Object.values(st.dropped).reduce((a, b) => a + b, 0), id).to.equal(0);
      await mf.policies.remove(id);
    }
  });

  it('framed mode: cut only between messages; oversize messages cut (fragment) or dropped and counted', async () => {
    const N = 120;
    const MAX = 400;
    // Each datagram: 1..12 messages of 0..300 bytes, every 10th also one of 500..900 (oversize).
    const sent: Buffer[][] = Array.from({ length: N }, (_, i) => {
      const k = 1 + (i % 12);
      const ms = Array.from({ length: k }, (_, j) => bytes((i * 31 + j * 57) % 120, i * 100 + j));
      if (i % 10 === 0) ms.splice(k >> 1, 0, bytes(500 + i * 3, 999 + i));
      return ms;
    });
    const payloads = sent.map((ms) => encodeFramed(ms, 'u16'));
    for (const [id, oversize, port] of [['split-fr', 'fragment', 5101], ['split-fd', 'drop', 5102]] as const) {
      await mf.policies.add(service(id, port, [
        { type: 'split', mode: 'framed', maxPayload: MAX, prefix: 'u16', oversize },
        { type: 'redirect', destination: dest('x', port + 1000) },
      ]));
      const expected = sent.flat().filter((m) => oversize === 'fragment' || m.length + 2 <= MAX);
      // How many datagrams is the core's business: the receiver stops 1.5 s after the last.
      const r = await receive(NS.x, [port + 1000], 1_000_000, 1500);
      await send(port, payloads);
      const res = await r.result<RecvResult>();
      const got = res.ports[String(port + 1000)]!.map((h) => Buffer.from(h, 'hex'));
      const dec = new FramedDecoder('u16');
      const out: Buffer[] = [];
      for (const d of got) {
        expect(d.length).to.be.at.most(MAX);
        out.push(...dec.push(d));
      }
      expect(out.length, `${id}: messages`).to.equal(expected.length);
      out.forEach((m, i) => expect(m.equals(expected[i]!), `${id}: message ${i}`).to.equal(true));
      const st = await mf.policies.stats(id);
      expect(st.matched.packets).to.equal(N);
      expect(st.sent.packets).to.equal(got.length);
      expect(st.dropped.oversize).to.equal(N / 10);
      expect(st.dropped.malformed).to.equal(0);
    }
  });

  it('framed mode: a length prefix that runs past the end sends what came before, counted malformed', async () => {
    const a = bytes(60, 1);
    const b = bytes(60, 2);
    const bad = Buffer.concat([encodeFramed([a, b]), Buffer.from([0x00, 0xff, 1, 2])]);
    await mf.policies.add(service('split-bad', 5105, [
      { type: 'split', mode: 'framed', maxPayload: 100 },
      { type: 'redirect', destination: dest('x', 6106) },
    ]));
    const r = await receive(NS.x, [6106], 2);
    await send(5105, [bad]);
    const got = (await r.result<RecvResult>()).ports['6106']!.map((h) => Buffer.from(h, 'hex'));
    expect(got.map((g) => g.toString('hex'))).to.deep.equal([encodeFramed([a]), encodeFramed([b])].map((g) => g.toString('hex')));
    const st = await mf.policies.stats('split-bad');
    expect(st.dropped.malformed).to.equal(1);
    expect(st.sent.packets).to.equal(2);
  });

  it('the core itself refuses split parameters that are wrong on the wire, naming the field', async () => {
    const p = service('split-raw', 5106, [{ type: 'split', mode: 'datagram', maxPayload: 300 }, { type: 'redirect', destination: dest('x', 6107) }]);
    const ports = (await mf.ports()).map((q, i) => ({ name: q.name, id: i }));
    const cases: [number, number, RegExp][] = [
      [0x02, 8, /actions\[0\]\.maxPayload: 8 is out of range; use 16\.\.65507/],
      [0x0a, 300, /prefix and oversize are options of mode framed/],
      [0x40, 300, /flags 0x40 are not a split mode/],
      [0x01, 500, /actions\[0\]\.mtu: ipfrag takes an MTU of 576\.\.65535/],
    ];
    for (const [flags, param, why] of cases) {
      const { first } = encodePolicy(p, ports);
      first.writeUInt8(flags, 64 + 1); // action[0].flags: wire header is 64 bytes before action[]
      first.writeUInt16LE(param, 64 + 2);
      const err = await mf.request(PolicyOp.POLICY_ADD, undefined, first).then(() => undefined, (e: Error) => e);
      expect(err?.message, `flags 0x${flags.toString(16)}`).to.match(why);
    }
    expect((await mf.policies.list()).map((q) => q.id)).to.not.include('split-raw');
  });

  it('ipfrag: fragments of at most the MTU, which the kernel reassembles byte-identical', async () => {
    const N = 150;
    const MTU = 576;
    // up to 1472 bytes, what the sender's 1500-byte MTU carries whole: policies see the
    // packets before the stack's reassembly, so a datagram the kernel fragmented does not match.
    const msgs = Array.from({ length: N }, (_, i) => bytes(1 + ((i * 211) % 1472), 7000 + i));
    const per = (MTU - 20) & ~7; // payload bytes of every fragment but the last
    const frags = msgs.reduce((s, m) => s + Math.ceil((8 + m.length) / per), 0);
    await mf.policies.add(service('split-ipf', 5104, [
      { type: 'split', mode: 'ipfrag', mtu: MTU },
      { type: 'redirect', destination: dest('x', 6105) },
    ]));
    expect((await mf.policies.get('split-ipf')).actions[0]).to.deep.equal({ type: 'split', mode: 'ipfrag', mtu: MTU });
    const r = await receive(NS.x, [6105], N);
    await send(5104, msgs);
    const got = (await r.result<RecvResult>()).ports['6105']!.map((h) => Buffer.from(h, 'hex'));
    expect(got.length, r.out.slice(0, 300)).to.equal(N);
    got.forEach((d, i) => expect(d.equals(msgs[i]!), `datagram ${i}`).to.equal(true));
    const st = await mf.policies.stats('split-ipf');
    expect(st.matched.packets).to.equal(N);
    expect(st.sent.packets, 'fragments sent').to.equal(frags);
    expect(Object.values(st.dropped).reduce((a, b) => a + b, 0)).to.equal(0);
  });

  it('split then replicate: every subscriber gets every piece, each message restored', async () => {
    const N = 100;
    const msgs = Array.from({ length: N }, (_, i) => bytes(600 + i * 7, 5000 + i));
    const pieces = msgs.reduce((s, m) => s + Math.ceil(m.length / 250), 0);
    await mf.policies.add(service('split-rep', 5103, [
      { type: 'split', mode: 'datagram', maxPayload: 250 },
      { type: 'replicate', destinations: [dest('x', 6103), dest('y', 6104)] },
    ]));
    const rx = await receive(NS.x, [6103], pieces);
    const ry = await receive(NS.y, [6104], pieces);
    await send(5103, msgs);
    for (const [r, p] of [[rx, '6103'], [ry, '6104']] as const) {
      const got = (await r.result<RecvResult>()).ports[p]!.map((h) => Buffer.from(h, 'hex'));
      expect(got.length, `port ${p}`).to.equal(pieces);
      // No header: in order, the pieces of message i are the next ceil(len/250) datagrams.
      let at = 0;
      msgs.forEach((m, i) => {
        const n = Math.ceil(m.length / 250);
        expect(Buffer.concat(got.slice(at, at + n)).equals(m), `port ${p} message ${i}`).to.equal(true);
        at += n;
      });
    }
    const st = await mf.policies.stats('split-rep');
    expect(st.sent.packets).to.equal(2 * pieces);
    expect(st.destinations.map((d) => d.packets)).to.deep.equal([pieces, pieces]);
  });
});
