// The redirect fast path (core/policy/classify.c): packets cut into runs of one flow, classified
// once per run, a worker's memo of the last flow reused across bursts while the table is the same,
// and a burst that starts with the memo's flow rewritten and sent in one loop. What must hold:
// counters exact (every matched packet sent or dropped with a reason, bytes per packet), a memo
// that dies with its table (an update takes effect at once), and interleaved flows each taking
// their own way. Checksums of the rewrite are verified by the kernel in policy-kernel.test.ts and
// from scratch in core/test/test_rewrite.c.
import { expect } from 'chai';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifold, type Destination, type Policy, type PolicyStats } from '../../ffi/index.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';
import { pcapFile, udpFrame as frame } from '../../apps/peers/udp-frames.js';

const NAME = uniqueName('prf');
const PCAP_ONE = join(tmpdir(), `mf-policy-fast-one-${process.pid}.pcap`);
const PCAP_MIX = join(tmpdir(), `mf-policy-fast-mix-${process.pid}.pcap`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const PAYLOAD = 18;
const FRAME_LEN = 14 + 20 + 8 + PAYLOAD;
const udpFrame = (dport: number): Buffer => frame('198.18.32.1', dport, PAYLOAD);

const dest = (i: number): Destination => ({ port: 'out', ip: `198.18.33.${i}`, udpPort: 7000 + i, mac: '02:00:00:00:00:0a', srcIp: '198.18.34.1' });
const redirect = (id: string, dstPort: number, d: Destination): Policy => ({
  id, match: { protocol: 'udp', dst: '198.18.32.1', dstPort }, actions: [{ type: 'redirect', destination: d }],
});

const dropped = (st: PolicyStats): number => Object.values(st.dropped).reduce((a, b) => a + b, 0);

describe('redirect fast path (runs, flow memo, direct send)', function () {
  this.timeout(120_000);
  let mf: Manifold;

  before(async () => {
    // Port 'one': one flow, endlessly (the memo's case). Port 'mix': five datagrams, endlessly,
    // runs of 1 and 2 of a service (6000) between others (6999). One worker polls both; each
    // ingress port has its own memo.
    writeFileSync(PCAP_ONE, pcapFile([udpFrame(5000)]));
    writeFileSync(PCAP_MIX, pcapFile([udpFrame(6000), udpFrame(6999), udpFrame(6000), udpFrame(6000), udpFrame(6999)]));
    await startAppliance({
      name: NAME, lcores: 1, hugepages: 'off', forward: 'drop',
      ports: [
        { name: 'one', dev: `net_pcap0,rx_pcap=${PCAP_ONE},infinite_rx=1` },
        { name: 'mix', dev: `net_pcap1,rx_pcap=${PCAP_MIX},infinite_rx=1` },
        { name: 'out', dev: 'net_null0' },
      ],
    });
    mf = Manifold.attach(NAME);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([NAME]);
    rmSync(PCAP_ONE, { force: true });
    rmSync(PCAP_MIX, { force: true });
  });

  it('updates under traffic: each new table takes over at once, and every packet is counted once', async () => {
    await mf.policies.add(redirect('rd-flip', 5000, dest(1)));
    const t0 = Date.now();
    let updates = 0;
    while (Date.now() - t0 < 1500) {
      await mf.policies.update(redirect('rd-flip', 5000, dest(updates % 2 ? 1 : 2)));
      updates++;
    }
    // Off the stream: a memo of the old table would keep matching; the counters must freeze.
    await mf.policies.update(redirect('rd-flip', 5001, dest(1)));
    await sleep(100);
    const st = await mf.policies.stats('rd-flip');
    await sleep(300);
    const later = await mf.policies.stats('rd-flip');
    expect(updates).to.be.greaterThan(10);
    expect(st.matched.packets).to.be.greaterThan(1000);
    expect(later.matched.packets, 'matched after the service moved off the stream').to.equal(st.matched.packets);
    expect(st.matched.bytes).to.equal(st.matched.packets * FRAME_LEN);
    expect(st.sent.packets + dropped(st)).to.equal(st.matched.packets);
    expect(st.sent.bytes).to.equal(st.sent.packets * FRAME_LEN);
    await mf.policies.remove('rd-flip');
  });

  it('interleaved flows: each run takes its own policy, exact or wildcard, and nothing is lost', async () => {
    // The service (6000) to a redirect; everything else from port 'mix' to a wildcard drop.
    await mf.policies.add({ ...redirect('rd-mix', 6000, dest(3)), priority: 5 });
    await mf.policies.add({ id: 'rest', priority: 1, match: { inPort: 'mix', protocol: 'udp' }, actions: [{ type: 'drop' }] });
    await sleep(200);
    const [m0, r0] = [await mf.policies.stats('rd-mix'), await mf.policies.stats('rest')];
    await sleep(500);
    const [m1, r1] = [await mf.policies.stats('rd-mix'), await mf.policies.stats('rest')];
    await mf.policies.update({ ...redirect('rd-mix', 6001, dest(3)), priority: 5 }); // freeze
    await sleep(100);
    const st = await mf.policies.stats('rd-mix');
    const mix = m1.matched.packets - m0.matched.packets;
    const rest = r1.matched.packets - r0.matched.packets;
    expect(mix + rest).to.be.greaterThan(10_000);
    // 3 of every 5 datagrams are the service's; the two reads are a moment apart: 1 % slack.
    expect(mix / (mix + rest)).to.be.within(0.6 - 0.01, 0.6 + 0.01);
    expect(r1.dropped.action).to.equal(r1.matched.packets);
    expect(st.sent.packets + dropped(st)).to.equal(st.matched.packets);
    expect(st.sent.bytes).to.equal(st.sent.packets * FRAME_LEN);
    expect(st.destinations[0]!.packets).to.equal(st.sent.packets);
    await mf.policies.remove('rd-mix');
    await mf.policies.remove('rest');
  });
});
