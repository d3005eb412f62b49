// The kernel anchors of the send benchmarks measure what they claim: run briefly in a namespace
// (bench/netns.ts), each one's own count is held against the veth's transmit counter, the
// lateness anchor's schedule against its timestamps, and bad options are refused by name.
// Benchmarks are not tests; these only make sure the anchors' figures can be trusted.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { SinkNamespace } from '../../bench/netns.js';
import { KERNEL_NET, anchorBinary, anchorScript } from '../../bench/entries/send-common.js';

interface RateOut { sent: number; seconds: number; rate: number }
interface TxtimeOut { sent: number; stamped: number; early: number; late: number; p50Ns: number; p99Ns: number; spanNs: number }

const DST = ['--dst-base', KERNEL_NET.first, '--dests', '64', '--size', '64'];

describe('bench anchors: kernel side of the send benchmarks', function () {
  this.timeout(90_000);
  let net: SinkNamespace;

  before(() => {
    net = new SinkNamespace({ tag: `tanc`, ...KERNEL_NET }).open();
  });
  after(() => net?.close());

  it('mf-bench-sendmmsg sends exactly --count messages, and the veth is handed them all', () => {
    const before = net.txPackets();
    const r = net.execJson<RateOut>([anchorBinary('mf-bench-sendmmsg'), ...DST, '--count', '20000', '--batch', '256', '--seconds', '30'], 60_000);
    const moved = net.txPackets() - before;
    expect(r.sent).to.equal(20000);
    expect(r.rate).to.be.closeTo(r.sent / r.seconds, r.rate * 1e-4); // seconds is printed to the µs
    // a handful more is the kernel's own (e.g. IPv6 router solicitations), never fewer
    expect(moved).to.be.within(20000, 20010);
  });

  it('mf-bench-sendmmsg refuses a bad option, naming it and what would be right', () => {
    const r = spawnSync(anchorBinary('mf-bench-sendmmsg'), [...DST, '--batch', '0'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--batch 0').and.to.contain('1..1024');
    const noDst = spawnSync(anchorBinary('mf-bench-sendmmsg'), ['--count', '5'], { encoding: 'utf8' });
    expect(noDst.status).to.equal(2);
    expect(noDst.stderr).to.contain('--dst-base is required');
  });

  it('the dgram anchor sends exactly --count messages from one Node thread', () => {
    const before = net.txPackets();
    const r = net.execJson<RateOut & { failed: number }>([process.execPath, anchorScript('dgram-rate.js'), ...DST,
      '--count', '5000', '--seconds', '30'], 60_000);
    expect(r.failed).to.equal(0);
    expect(r.sent).to.equal(5000);
    expect(net.txPackets() - before).to.be.within(5000, 5010);
  });

  it('mf-bench-txtime (sleep) keeps the schedule: nothing leaves early, every message is timestamped', () => {
    const before = net.txPackets();
    const r = net.execJson<TxtimeOut>([anchorBinary('mf-bench-txtime'), ...DST, '--mode', 'sleep', '--rate', '20000',
      '--count', '2000', '--seconds', '20'], 60_000);
    expect(r.sent).to.equal(2000);
    expect(r.stamped, 'software tx timestamps from the veth').to.equal(2000);
    expect(r.early, 'a sleeping sender never sends before the due time').to.equal(0);
    expect(r.spanNs).to.be.closeTo(1999 * 50_000, 1000);
    expect(r.p50Ns).to.be.at.least(0);
    expect(r.p99Ns).to.be.at.least(r.p50Ns);
    expect(net.txPackets() - before).to.be.within(2000, 2010);
  });

  it('mf-bench-txtime (txtime) holds messages to their time under fq, and says so when the kernel ignores it', () => {
    const noFq = net.addFq();
    const r = net.execJson<TxtimeOut>([anchorBinary('mf-bench-txtime'), ...DST, '--mode', 'txtime', '--rate', '20000',
      '--count', '2000', '--lead-us', '5000', '--seconds', '20'], 60_000);
    expect(r.sent).to.equal(2000);
    expect(r.stamped).to.equal(2000);
    if (noFq !== undefined) {
      // no time-aware qdisc (this kernel has no sch_fq): handed over 5 ms ahead, they leave at
      // once; a sender stalled by a busy machine hands some over late, hence not all of them
      expect(r.early, `fq unavailable (${noFq}): messages must show as early`).to.be.above(1000);
    } else {
      expect(r.early, 'fq releases at the due time, not before').to.be.below(20);
      expect(r.p50Ns).to.be.below(1_000_000);
    }
  });

  it('mf-bench-txtime refuses an unknown mode by name', () => {
    const r = spawnSync(anchorBinary('mf-bench-txtime'), [...DST, '--rate', '1000', '--mode', 'etf'], { encoding: 'utf8' });
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('--mode: expected txtime or sleep');
  });
});
