// The policy engine against the real core with an endless stream of one UDP datagram (net_pcap
// replaying a capture, infinite_rx) and copies sent into net_null: what the core itself
// answers (field-naming reasons, limits, staged large policies, client lifetime) and that
// tables replaced under traffic never show a packet half a policy.
import { expect } from 'chai';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifold, RequestRejectedError, type Destination, type Policy } from '../../ffi/index.js';
import { PolicyOp, encodePolicy } from '../../ffi/policies.js';
import { cleanupAppliances, manifold, startAppliance, uniqueName } from '../support/cli.js';
import { pcapFile, udpFrame as frame } from '../../apps/peers/udp-frames.js';

const NAME = uniqueName('pc');
const PCAP = join(tmpdir(), `mf-policy-core-${process.pid}.pcap`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One Ethernet/IPv4/UDP frame 198.18.30.2:4000 -> 198.18.30.1:dport with `len` bytes of payload. */
const udpFrame = (dport: number, len: number): Buffer => frame('198.18.30.1', dport, len);

const dest = (i: number): Destination => ({ port: 'out', ip: `198.18.${40 + (i >> 8)}.${(i & 255) || 1}`, udpPort: 7000 + (i % 7), mac: '02:00:00:00:00:09', srcIp: '198.18.31.1' });
const svc = (id: string, dstPort: number, destinations: Destination[], lifetime: Policy['lifetime'] = 'persistent'): Policy => ({
  id, lifetime, match: { protocol: 'udp', dst: '198.18.30.1', dstPort }, actions: [{ type: 'replicate', destinations }],
});

async function rejected(p: Promise<unknown>): Promise<RequestRejectedError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof RequestRejectedError) return e;
    throw e;
  }
  throw new Error('the core accepted it');
}

describe('policy engine in the core (net_pcap stream -> net_null)', function () {
  this.timeout(120_000);
  let mf: Manifold;

  before(async () => {
    // Datagrams to port 5000 (first) and 5999 (never matched), endlessly.
    writeFileSync(PCAP, pcapFile([udpFrame(5000, 200), udpFrame(5999, 60)]));
    await startAppliance({
      name: NAME, lcores: 1, hugepages: 'off', forward: 'drop',
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

  it('the core names the field that is wrong, even when the client skipped validation', async () => {
    const ports = [{ name: 'in', id: 0 }, { name: 'out', id: 1 }];
    const enc = encodePolicy(svc('raw', 5000, [dest(0), dest(1), { ...dest(2), port: 1 }]), ports);
    enc.first.writeUInt16LE(7, 192 + 2 * 24 + 8); // destinations[2].port := 7
    let e = await rejected(mf.request(PolicyOp.POLICY_ADD, undefined, enc.first));
    expect(e.reason).to.equal('actions[0].destinations[2].port: port 7 does not exist; ports are 0..1');
    enc.first.writeUInt16LE(1, 192 + 2 * 24 + 8);
    enc.first.writeUInt8(9, 64); // actions[0].type := 9
    e = await rejected(mf.request(PolicyOp.POLICY_ADD, undefined, enc.first));
    expect(e.reason).to.match(/^actions\[0\]\.type: 9 is not an action; actions are 1 \(redirect\), 2 \(replicate\), 3 \(deliver\), 4 \(drop\)/);
    e = await rejected(mf.request(PolicyOp.POLICY_ADD, undefined, enc.first.subarray(0, 100)));
    expect(e.reason).to.match(/^input is 100 bytes; a policy is a 192-byte struct mf_policy_wire/);
    e = await rejected(mf.policies.add({ id: 'nosrc', match: { protocol: 'udp' }, actions: [{ type: 'redirect', destination: { port: 'out', ip: '198.18.9.9', udpPort: 9 } }] }));
    expect(e.reason).to.equal('actions[0].destination.srcIp: port 1 has no address; give srcIp or an address for the port');
    // the core's own checks of deliver, past the client-side validation
    const dl = encodePolicy({ id: 'dl', actions: [{ type: 'deliver', socket: { port: 5000 } }] }, ports);
    e = await rejected(mf.request(PolicyOp.POLICY_ADD, undefined, dl.first));
    expect(e.reason).to.equal("lifetime: actions[0] (deliver) feeds the adding client's socket, so it must be client (1)");
    const dl0 = encodePolicy({ id: 'dl', lifetime: 'client', actions: [{ type: 'deliver', socket: { port: 5000 } }] }, ports);
    dl0.first.writeUInt16LE(0, 192 + 10); // socket.port := 0
    e = await rejected(mf.request(PolicyOp.POLICY_ADD, undefined, dl0.first));
    expect(e.reason).to.equal('actions[0].socket.port: must be the UDP port 1..65535 the socket is bound to');
    e = await rejected(mf.policies.remove('nothing'));
    expect(e.reason).to.match(/^id: no policy 'nothing'/);
    expect(await mf.policies.list()).to.deep.equal([]);
  });

  it('limits: a clear error past them, and they can be raised', async () => {
    await mf.policies.limits({ maxPolicies: 2, maxDestinations: 3 });
    await mf.policies.add(svc('l1', 6001, [dest(0)]));
    await mf.policies.add(svc('l2', 6002, []));
    let e = await rejected(mf.policies.add(svc('l3', 6003, [])));
    expect(e.reason).to.match(/^2 policies is the limit; remove one or raise the limit/);
    e = await rejected(mf.policies.addDestinations('l2', [dest(1), dest(2), dest(3), dest(4)]));
    expect(e.reason).to.match(/^destinations: 0 \+ 4 is more than the limit of 3 per policy/);
    e = await rejected(mf.policies.add(svc('l1', 6001, [])));
    expect(e.reason).to.match(/^id: policy 'l1' exists; update replaces it/);
    await mf.policies.remove('l1');
    await mf.policies.remove('l2');
    const l = await mf.policies.limits({ maxPolicies: 1024, maxDestinations: 1024 });
    expect(l).to.deep.equal({ maxPolicies: 1024, maxDestinations: 1024, policies: 0 });
  });

  it('replicates to 1024 destinations (a staged policy), every copy counted per destination', async () => {
    const dests = Array.from({ length: 1024 }, (_, i) => dest(i));
    await mf.policies.add(svc('wide', 5000, dests));
    expect((await mf.policies.get('wide')).actions).to.deep.equal([{ type: 'replicate', destinations: dests }]);
    await sleep(300);
    // Freeze the counters: the update moves the match off the stream, keeping counters.
    await mf.policies.update(svc('wide', 5001, dests));
    await sleep(100);
    const st = await mf.policies.stats('wide');
    expect(st.destinations).to.have.length(1024);
    expect(st.matched.packets).to.be.greaterThan(0);
    const perDest = st.destinations.map((d) => d.packets + d.dropped.nombuf + d.dropped.txFull);
    expect(new Set(perDest).size, 'every destination saw every matched packet').to.equal(1);
    expect(perDest[0]).to.equal(st.matched.packets);
    expect(st.sent.packets + st.dropped.nombuf + st.dropped.tx_full).to.equal(1024 * st.matched.packets);
    await mf.policies.remove('wide');
  });

  it('tables replaced under traffic: no packet ever sees half a policy', async () => {
    const A = [dest(1), dest(2)];
    const B = [dest(3), dest(4)];
    await mf.policies.add(svc('flip', 5000, A));
    const t0 = Date.now();
    let updates = 0;
    while (Date.now() - t0 < 1500) {
      await mf.policies.update(svc('flip', 5000, updates % 2 ? A : B));
      updates++;
    }
    await mf.policies.update(svc('flip', 5001, A)); // off the stream: counters freeze
    await sleep(100);
    const st = await mf.policies.stats('flip');
    expect(updates).to.be.greaterThan(20);
    expect(st.matched.packets).to.be.greaterThan(0);
    // Every version had exactly two destinations: one copy short or over would show here.
    expect(st.sent.packets + st.dropped.nombuf + st.dropped.tx_full).to.equal(2 * st.matched.packets);
    await mf.policies.remove('flip');
  });

  it('destinations added in one request start together, and the others lose nothing', async () => {
    const A = [dest(1), dest(2)];
    const more = [dest(10), dest(11), dest(12), dest(13)];
    await mf.policies.add(svc('grow', 5000, A));
    await sleep(200);
    await mf.policies.addDestinations('grow', more);
    await sleep(200);
    await mf.policies.update(svc('grow', 5001, [...A, ...more])); // freeze, counters kept
    await sleep(100);
    const st = await mf.policies.stats('grow');
    const total = (d: { packets: number; dropped: { nombuf: number; txFull: number } }): number => d.packets + d.dropped.nombuf + d.dropped.txFull;
    const [a1, a2, ...m] = st.destinations.map(total);
    expect(a1).to.equal(st.matched.packets);
    expect(a2).to.equal(st.matched.packets);
    expect(m[0]).to.be.greaterThan(0).and.lessThan(a1!);
    expect(new Set(m).size, `the four added at once: ${m.join(', ')}`).to.equal(1);
    await mf.policies.remove('grow');
  });

  it('priority decides between policies on one service, exact or wildcard; removal hands over', async () => {
    const matched = async (id: string): Promise<number> => (await mf.policies.stats(id)).matched.packets;
    await mf.policies.add({ ...svc('low', 5000, [dest(1)]), priority: 1 });
    await mf.policies.add({ ...svc('high', 5000, [dest(2)]), priority: 5 });
    await sleep(100);
    const l = await matched('low'); // low had the stream until high came
    await sleep(200);
    expect(await matched('low')).to.equal(l);
    expect(await matched('high')).to.be.greaterThan(0);
    // A wildcard (any UDP to the /24) above both takes over; the exact ones stop.
    await mf.policies.add({ id: 'wild', priority: 10, match: { protocol: 'udp', dst: '198.18.30.0/24' }, actions: [{ type: 'drop' }] });
    await sleep(100);
    const h = await matched('high');
    await sleep(200);
    expect(await matched('high')).to.equal(h);
    const w = await mf.policies.stats('wild');
    expect(w.matched.packets).to.be.greaterThan(0);
    expect(w.dropped.action).to.equal(w.matched.packets); // the 5999 datagrams too: the /24 takes all
    await mf.policies.remove('wild');
    await mf.policies.remove('high');
    await sleep(200);
    expect(await matched('low')).to.be.greaterThan(l);
    await mf.policies.remove('low');
  });

  it('a client-scoped policy goes when its client detaches; a persistent one stays', async () => {
    const other = Manifold.attach(NAME);
    await other.policies.add(svc('mine', 6100, [], 'client'));
    await other.policies.add(svc('kept', 6101, [], 'persistent'));
    expect((await mf.policies.list()).map((p) => [p.id, p.lifetime, p.owner === other.clientIndex])).to.deep.equal([
      ['mine', 'client', true], ['kept', 'persistent', false],
    ]);
    other.close();
    const t0 = Date.now();
    while ((await mf.policies.list()).length !== 1 && Date.now() - t0 < 3000) await sleep(20);
    expect((await mf.policies.list()).map((p) => p.id)).to.deep.equal(['kept']);
    await mf.policies.remove('kept');
  });
  it('shell trace <n>: which policy took each packet and what its actions did, or the forward mode', async () => {
    interface Rec { port: number; dport: number; policy: string | null; forward: string | null; actions: unknown[]; drops: Record<string, number> }
    await mf.policies.add(svc('tr-rep', 5000, [dest(0), dest(1)]));
    await mf.policies.add({ id: 'tr-drop', match: { protocol: 'udp', dstPort: 5999 }, actions: [{ type: 'drop' }] });
    try {
      let r = manifold(['shell', '-n', NAME, '--json', '-c', 'trace 40 port 0'], 60_000);
      expect(r.code, r.stderr).to.equal(0);
      let out = JSON.parse(r.stdout) as { recorded: number; complete: boolean; records: Rec[] };
      expect(out).to.include({ recorded: 40, complete: true });
      expect(out.records).to.have.length(40);
      const rep = out.records.filter((x) => x.dport === 5000);
      const drp = out.records.filter((x) => x.dport === 5999);
      expect(rep.length + drp.length).to.equal(40);
      expect(rep.length).to.be.greaterThan(0);
      expect(drp.length).to.be.greaterThan(0);
      for (const x of rep) {
        expect(x).to.deep.include({ port: 0, policy: 'tr-rep', forward: null, drops: {} });
        expect(x.actions).to.deep.equal([{ type: 'replicate', copies: 2 }]);
      }
      for (const x of drp) {
        expect(x).to.deep.include({ policy: 'tr-drop', drops: { action: 1 } });
        expect(x.actions).to.deep.equal([{ type: 'drop' }]);
      }
      // without tr-drop, 5999 goes to the port's forward mode (drop); the text form says so
      await mf.policies.remove('tr-drop');
      r = manifold(['shell', '-n', NAME, '--json', '-c', 'trace 20 port 0'], 60_000);
      out = JSON.parse(r.stdout) as { recorded: number; complete: boolean; records: Rec[] };
      expect(out.records).to.have.length(20);
      for (const x of out.records.filter((y) => y.dport === 5999)) expect(x).to.deep.include({ policy: null, forward: 'drop', actions: [] });
      r = manifold(['shell', '-n', NAME, '-c', 'trace 6 port 0'], 60_000);
      expect(r.code, r.stderr).to.equal(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).to.have.length(7);
      expect(lines[6]).to.equal('6 of 6 packets traced');
      for (const l of lines.slice(0, 6)) {
        expect(l).to.match(/^port 0 lcore \d+ len 242 udp 198\.18\.30\.2:4000 -> 198\.18\.30\.1:5000: policy tr-rep: replicate 2 copies$|^port 0 lcore \d+ len 102 udp 198\.18\.30\.2:4000 -> 198\.18\.30\.1:5999: no policy; forward drop$/);
      }
      // any port: net_null's empty frames on port 1 are not IPv4
      r = manifold(['shell', '-n', NAME, '--json', '-c', 'trace 200'], 60_000);
      out = JSON.parse(r.stdout) as { recorded: number; complete: boolean; records: Rec[] };
      expect(out.records).to.have.length(200);
      expect(new Set(out.records.map((x) => x.port))).to.deep.equal(new Set([0, 1]));
      // bad input: a clear error, the core untouched
      r = manifold(['shell', '-n', NAME, '-c', 'trace 0'], 60_000);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(/1\.\.1000/);
    } finally {
      await mf.policies.remove('tr-rep');
      await mf.policies.remove('tr-drop').catch(() => undefined);
    }
    // armed no longer: the stream goes on through the usual path
    const s0 = (await mf.stats()).ports[0]!.counters.fwd_in;
    await sleep(200);
    expect((await mf.stats()).ports[0]!.counters.fwd_in).to.be.greaterThan(s0);
  });
});

describe('manifold policy (CLI against the core)', function () {
  this.timeout(60_000);
  const CLI_NAME = uniqueName('pcli');
  const dir = join(tmpdir(), `mf-policy-cli-${process.pid}`);

  before(async () => {
    mkdirSync(dir, { recursive: true });
    await startAppliance({
      name: CLI_NAME, lcores: 1, hugepages: 'off', forward: 'drop',
      ports: [{ name: 'in', dev: 'net_null0' }, { name: 'out', dev: 'net_null1' }],
      policies: [{ id: 'from-config', match: { inPort: 'in' }, actions: [{ type: 'drop' }] }],
    });
  });

  it('the policies of the appliance configuration are installed at start, persistent', () => {
    const r = manifold(['policy', 'list', '--json', '--name', CLI_NAME]);
    const list = JSON.parse(r.stdout) as { id: string; lifetime: string }[];
    expect(list.map((p) => [p.id, p.lifetime])).to.deep.equal([['from-config', 'persistent']]);
    // net_null's endless empty frames are not IPv4: the policy matches none of them.
    expect(manifold(['policy', 'del', 'from-config', '--name', CLI_NAME]).code).to.equal(0);
  });

  after(async () => {
    await cleanupAppliances([CLI_NAME]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('add, list, show, update, del; a bad file is refused with the field named', () => {
    const file = join(dir, 'p.json');
    // The CLI detaches at once: a client policy would be gone with it, so it is refused
    // before anything reaches the core; without a lifetime the policy is persistent.
    writeFileSync(file, JSON.stringify(svc('cli-fan', 5000, [dest(1), dest(2)], 'client')));
    let r = manifold(['policy', 'add', file, '--name', CLI_NAME]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/lifetime: a client policy goes when its client detaches.*use "persistent" or leave it out/);
    const p = svc('cli-fan', 5000, [dest(1), dest(2)]);
    writeFileSync(file, JSON.stringify(p));
    r = manifold(['policy', 'add', file, '--name', CLI_NAME]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('added cli-fan\n');
    r = manifold(['policy', 'list', '--json', '--name', CLI_NAME]);
    const list = JSON.parse(r.stdout) as { id: string; lifetime: string; destinations: number }[];
    expect(list).to.have.length(1);
    expect(list[0]).to.deep.include({ id: 'cli-fan', lifetime: 'persistent', destinations: 2 });
    r = manifold(['policy', 'show', 'cli-fan', '--json', '--name', CLI_NAME]);
    const shown = JSON.parse(r.stdout) as { policy: Policy; stats: { destinations: unknown[] } };
    expect(shown.policy.actions).to.deep.equal(p.actions);
    expect(shown.stats.destinations).to.have.length(2);
    writeFileSync(file, JSON.stringify({ ...p, priority: 7 }));
    r = manifold(['policy', 'update', file, '--name', CLI_NAME]);
    expect(r.code, r.stderr).to.equal(0);
    r = manifold(['policy', 'show', 'cli-fan', '--name', CLI_NAME]);
    expect(r.stdout).to.match(/"priority": 7/);
    writeFileSync(file, JSON.stringify({ ...p, id: 'other', actions: [{ type: 'replicate', destinations: [{ ...dest(1), port: 'nope' }] }] }));
    r = manifold(['policy', 'add', file, '--name', CLI_NAME]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/actions\[0\]\.destinations\[0\]\.port: no port is named "nope"; ports are in, out/);
    r = manifold(['policy', 'del', 'cli-fan', '--name', CLI_NAME]);
    expect(r.stdout).to.equal('removed cli-fan\n');
    r = manifold(['policy', 'list', '--name', CLI_NAME]);
    expect(r.stdout).to.equal('no policies\n');
    r = manifold(['policy', 'del', 'cli-fan', '--name', CLI_NAME]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/no policy 'cli-fan'/);
  });

});
