// Aggregate sends against the Linux kernel's own UDP: the core's two tap ports (stack mode, an
// address each) face kernel hosts in two namespaces; receivers there (test/support/ts_recv.py)
// bind the recipient ports and stamp every datagram with its kernel receive time
// (SO_TIMESTAMPNS), so arrival times are the kernel's, not ours. One namespace is reached by
// ARP, the other through destinations that carry the kernel's MAC.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import {
  Manifold,
  RequestRejectedError,
  SendBatch,
  SendOp,
  SendValidationError,
  type SendReport,
} from '../../ffi/index.js';
import { SO, SendFlag } from '../../ffi/send-abi.js';
import { Peer, kernelMac } from '../support/netns-peer.js';
import { cleanupAppliances, manifold, startAppliance, uniqueName, type RunningAppliance } from '../support/cli.js';

const NAME = uniqueName('sk');
const tag = process.pid % 100000;
const NS = { x: `mfsk-x-${tag}`, y: `mfsk-y-${tag}` };
const IF = { x: `mfskx${tag}`, y: `mfsky${tag}` };
const NET = { x: '198.18.41', y: '198.18.42' };
const RECV = join(repoRoot(), 'test', 'support', 'ts_recv.py');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MS = 1_000_000n;

interface Got { count: number; got: [number, number, string][] }

function namespaces(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!);
}

const peers: Peer[] = [];

/** A receiver in `ns` on `ports` ("6000-6499" or "7000,7001"); resolves once bound. */
async function receiver(ns: string, ports: string, expectN: number, seconds: number, quietMs = 0): Promise<Peer> {
  const p = new Peer(spawn('ip', ['netns', 'exec', ns, 'python3', RECV, '--ports', ports, '--expect', String(expectN),
    '--seconds', String(seconds), '--quiet-ms', String(quietMs)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  peers.push(p);
  await p.waitFor('listening', 15_000);
  return p;
}

/** A report as text for assertion messages (its times are bigints). */
function show(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe('aggregate sends against the kernel (tap namespaces)', function () {
  this.timeout(240_000);
  let mf: Manifold;
  let app: RunningAppliance;
  let mac: { x: string; y: string };

  /** x: through ARP; y: to the kernel's MAC given in the destination. */
  const to = (side: 'x' | 'y', port: number): { ip: string; port: number; mac?: string } =>
    side === 'x' ? { ip: `${NET.x}.2`, port } : { ip: `${NET.y}.2`, port, mac: mac.y };

  before(async () => {
    for (const ns of Object.values(NS)) if (namespaces().includes(ns)) spawnSync('ip', ['netns', 'del', ns]);
    app = await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off',
      ports: [
        { name: 'x', dev: `net_tap0,iface=${IF.x}`, netns: NS.x, peerIp: `${NET.x}.2/24`, ip: [`${NET.x}.1/24`], forward: 'stack' },
        { name: 'y', dev: `net_tap1,iface=${IF.y}`, netns: NS.y, peerIp: `${NET.y}.2/24`, ip: [`${NET.y}.1/24`], forward: 'stack' },
      ],
    });
    mf = Manifold.attach(NAME);
    mac = { x: kernelMac(NS.x, IF.x), y: kernelMac(NS.y, IF.y) };
  });

  afterEach(function () {
    // What the core said last, when a test failed: its reasons, or how it died.
    if (this.currentTest?.state === 'failed') console.log(app?.output.split('\n').slice(-25).join('\n'));
  });

  after(async () => {
    for (const p of peers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    mf?.close();
    await cleanupAppliances([NAME]);
    for (const ns of Object.values(NS)) if (namespaces().includes(ns)) spawnSync('ip', ['netns', 'del', ns]);
  });

  it('one aggregate to 1,000 distinct recipient ports in two namespaces arrives complete', async () => {
    const rx = await receiver(NS.x, '20000-20499', 500, 30, 200);
    const ry = await receiver(NS.y, '21000-21499', 500, 30, 200);
    const b = new SendBatch({ timing: 'asap' });
    for (let i = 0; i < 500; i++) {
      b.add(b.dest(to('x', 20000 + i)), Buffer.from(`x${20000 + i}`));
      b.add(b.dest(to('y', 21000 + i)), Buffer.from(`y${21000 + i}`));
    }
    expect(b.plan().length, 'more than one chunk: the destination table spans slots').to.be.greaterThan(2);
    const report = await mf.send(b);
    expect(report).to.deep.include({ messages: 1000, sent: 1000 });
    expect(Object.values(report.dropped).reduce((a, v) => a + v, 0), JSON.stringify(report.dropped)).to.equal(0);
    for (const [r, side, base] of [[rx, 'x', 20000], [ry, 'y', 21000]] as const) {
      const res = await r.result<Got>();
      expect(res.count, r.out.slice(0, 300)).to.equal(500);
      const byPort = new Map(res.got.map(([port, , hex]) => [port, Buffer.from(hex, 'hex').toString()]));
      for (let i = 0; i < 500; i++) expect(byPort.get(base + i), `port ${base + i}`).to.equal(`${side}${base + i}`);
    }
    expect(report.firstTxNs > 0n && report.lastTxNs >= report.firstTxNs).to.equal(true);
  });

  it("'delay' messages 1 ms apart arrive about 1 ms apart by the receiver's kernel clock", async () => {
    const N = 40;
    // Every attempt must be right: all arrive, in order, none before its time. "About 1 ms
    // apart" is asked of the best of four attempts: on a shared 2-core machine the worker is
    // sometimes preempted for milliseconds, and what was due meanwhile leaves together.
    const attempts: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = await receiver(NS.y, '22000', N, 20);
      const start = process.hrtime.bigint() + 30n * MS;
      const b = new SendBatch({ timing: 'delay', start });
      const d = b.dest(to('y', 22000));
      for (let i = 0; i < N; i++) b.add(d, Buffer.from(`d${i}`), { time: BigInt(i) * MS });
      const report = await mf.send(b);
      expect(report.sent, show(report)).to.equal(N);
      const res = await r.result<Got>();
      expect(res.count).to.equal(N);
      expect(res.got.map(([, , h]) => Buffer.from(h, 'hex').toString())).to.deep.equal(Array.from({ length: N }, (_, i) => `d${i}`));
      const ts = res.got.map(([, t]) => t);
      const late = ts.map((t, i) => (t - Number(start)) / 1e6 - i);
      // never early (0.5 ms for converting the receiver's realtime stamps to monotonic)
      late.forEach((l, i) => expect(l, `message ${i} arrived ${l.toFixed(2)} ms after its time`).to.be.at.least(-0.5));
      const gaps = ts.slice(1).map((t, i) => (t - ts[i]!) / 1e6);
      const near = gaps.filter((g) => g > 0.5 && g < 1.5).length;
      attempts.push(`median gap ${median(gaps).toFixed(2)} ms, ${near}/${N - 1} gaps in 0.5..1.5 ms, ` +
        `median lateness ${median(late).toFixed(2)} ms, span ${((ts[N - 1]! - ts[0]!) / 1e6).toFixed(2)} ms`);
      // About 1 ms apart: the median gap within half a millisecond of it and at least 40 % of
      // the gaps within 0.5..1.5 ms (a burst, everything at once, has a median near 0).
      if (median(gaps) >= 0.5 && median(gaps) <= 1.5 && near >= 0.4 * (N - 1)) {
        // the report's departures agree with the receiver's clock on the span (1 ms)
        expect(Number(report.lastTxNs - report.firstTxNs) / 1e6).to.be.closeTo((ts[N - 1]! - ts[0]!) / 1e6, 1);
        console.log(`      delay: ${attempts.join('; ')}`);
        return;
      }
    }
    expect.fail(`messages 1 ms apart never arrived about 1 ms apart in 4 attempts: ${attempts.join('; ')}`);
  });

  it('a next hop first asked for seconds after the commit is resolved then, not given up on', async () => {
    // A new address of the x namespace's host: the core has never resolved it. The batch's
    // messages are due 4 s after its commit, past the 3.5 s an ARP answer is waited for: the
    // wait must start when they are due, not when the batch is committed.
    const host = `${NET.x}.3`;
    const ip = (...a: string[]) => spawnSync('ip', ['netns', 'exec', NS.x, 'ip', ...a], { encoding: 'utf8' });
    expect(ip('addr', 'add', `${host}/24`, 'dev', IF.x).status).to.equal(0);
    try {
      const r = await receiver(NS.x, '22100', 3, 30);
      const b = new SendBatch({ timing: 'delay', start: process.hrtime.bigint() + 4000n * MS });
      const d = b.dest({ ip: host, port: 22100 });
      for (let i = 0; i < 3; i++) b.add(d, Buffer.from(`late${i}`), { time: BigInt(i) * MS });
      const report = await mf.send(b);
      expect(report.sent, show(report)).to.equal(3);
      const res = await r.result<Got>();
      expect(res.got.map(([, , h]) => Buffer.from(h, 'hex').toString()).sort()).to.deep.equal(['late0', 'late1', 'late2']);
    } finally {
      ip('addr', 'del', `${host}/24`, 'dev', IF.x);
    }
  });

  it("a 'window' batch arrives inside its window, each message no sooner than its slot", async () => {
    const N = 50;
    const r = await receiver(NS.y, '23000-23004', N, 3, 300);
    const start = process.hrtime.bigint() + 100n * MS;
    const end = start + 50n * MS;
    const b = new SendBatch({ timing: 'window', start, end });
    const ds = [0, 1, 2, 3, 4].map((i) => b.dest(to('y', 23000 + i)));
    for (let i = 0; i < N; i++) b.add(ds[i % 5]!, Buffer.from(`w${i}`));
    const report = await mf.send(b);
    // What could not leave by the end is dropped and counted, never sent late. On a loaded
    // 2-core machine the worker may be preempted for milliseconds, so not all of it need
    // leave (on a quiet one all of it does).
    expect(report.sent + report.dropped.deadline, show(report)).to.equal(N);
    expect(report.sent, show(report)).to.be.at.least(5);
    const res = await r.result<Got>();
    expect(res.count, 'what the report says was sent arrived').to.equal(report.sent);
    // Kernel receive times: inside [start, end] (0.5 ms for the clocks, 2 ms for the tap's
    // delivery), and message i not before its slot start + i * 50 ms / N: spread, not a burst.
    const lo = Number(start) / 1e6;
    const hi = Number(end) / 1e6;
    for (const [, t, h] of res.got) {
      const i = Number(/^w(\d+)$/.exec(Buffer.from(h, 'hex').toString())![1]);
      const at = t / 1e6 - lo;
      expect(at, `message ${i} arrived ${at.toFixed(2)} ms after start`).to.be.within(i * 50 / N - 0.5, hi - lo + 2);
    }
    expect(report.firstTxNs >= start && report.lastTxNs <= end, `${report.firstTxNs - start} ${end - report.lastTxNs}`).to.equal(true);
  });

  it('under an impossible deadline, whole B frames go first, then P; never part of a frame', async () => {
    // 12 frames of 4 messages, 20 ms apart, but only 50 ms until the deadline: room for 2. The
    // planner drops the 8 B frames, then 2 of the 3 P frames, and keeps I and the first P.
    // Every attempt must keep the rules: whole frames only (in the report and at the
    // receiver), and no frame sent while a more important one was dropped. The planned outcome
    // is asked of the best of three: when the worker is starved past a frame's first departure
    // (a shared 2-core machine), the core drops that frame whole too, as it should.
    const pattern = 'IBBPBBPBBPBB';
    const rank = { I: 0, P: 1, B: 2 } as const;
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = 24000 + attempt;
      const r = await receiver(NS.y, String(port), 8, 5, 500);
      const F = 20n * MS;
      const start = process.hrtime.bigint() + 150n * MS;
      const b = new SendBatch({ frames: true, interval: F, start, end: start + 2n * F + F / 2n });
      const d = b.dest(to('y', port));
      for (let f = 0; f < pattern.length; f++) {
        for (let j = 0; j < 4; j++) b.add(d, Buffer.from(`f${f}.${j}`), { frame: { id: f, type: pattern[f] as 'I' | 'P' | 'B' } });
      }
      const report: SendReport = await mf.send(b);
      expect(report.frames, show(report)).to.have.length(12);
      const sent = report.frames!.filter((f) => f.outcome === 'sent');
      const dropped = report.frames!.filter((f) => f.outcome === 'dropped');
      expect(report.framesDropped).to.equal(dropped.length);
      expect(report.sent, show(report)).to.equal(4 * sent.length);
      expect(report.dropped.frame + report.dropped.deadline, show(report)).to.equal(4 * dropped.length);
      const worstDropped = Math.min(...dropped.map((f) => rank[f.type]), 3);
      for (const f of sent) expect(rank[f.type], `frame ${f.id} (${f.type}) sent while a more important one was dropped: ${show(report.frames)}`).to.be.at.most(worstDropped);
      expect(dropped.filter((f) => f.type === 'B'), 'every B frame dropped').to.have.length(8);
      // at the receiver: whole frames only, exactly the ones reported sent
      const res = await r.result<Got>();
      const perFrame = new Map<number, number>();
      for (const [, , h] of res.got) {
        const m = /^f(\d+)\.(\d)$/.exec(Buffer.from(h, 'hex').toString())!;
        perFrame.set(Number(m[1]), (perFrame.get(Number(m[1])) ?? 0) + 1);
      }
      expect([...perFrame.entries()].sort((x, y) => x[0] - y[0])).to.deep.equal(sent.map((f) => [f.id, 4]).sort((x, y) => x[0]! - y[0]!));
      outcomes.push(sent.map((f) => `${f.id}${f.type}`).join(' ') || 'none');
      if (sent.map((f) => `${f.id}${f.type}`).join(' ') === '0I 3P') {
        console.log(`      frames sent per attempt: ${outcomes.join('; ')}`);
        return;
      }
    }
    expect.fail(`never the planned outcome (I and the first P sent) in 3 attempts; frames sent: ${outcomes.join('; ')}`);
  });

  it('messages sent through a replicate policy fan out to every subscriber; best effort skips and counts a bad one', async () => {
    const N = 30;
    await mf.policies.add({
      id: 'send-fanout', priority: 5, lifetime: 'client', match: { protocol: 'udp', dst: `${NET.x}.200`, dstPort: 9000 },
      actions: [{ type: 'replicate', destinations: [
        { port: 'x', ip: `${NET.x}.2`, udpPort: 29000, mac: mac.x, srcIp: `${NET.x}.1` },
        { port: 'y', ip: `${NET.y}.2`, udpPort: 29001, mac: mac.y, srcIp: `${NET.y}.1` },
      ] }],
    });
    const rx = await receiver(NS.x, '29000', N, 15);
    const ry = await receiver(NS.y, '29001', N, 15);
    const b = new SendBatch();
    const d = b.dest({ ip: `${NET.x}.200`, port: 9000, policy: 'send-fanout' });
    for (let i = 0; i < N; i++) b.add(d, Buffer.from(`p${i}`));
    const report = await mf.send(b);
    expect(report.sent, show(report)).to.equal(N);
    for (const r of [rx, ry]) {
      const res = await r.result<Got>();
      expect(res.got.map(([, , h]) => Buffer.from(h, 'hex').toString()).sort(), r.out.slice(0, 200)).to.deep.equal(Array.from({ length: N }, (_, i) => `p${i}`).sort());
    }
    const st = await mf.policies.stats('send-fanout');
    expect(st.destinations.map((x) => x.packets)).to.deep.equal([N, N]);
    // best effort: a message too large for a policy (over 1472 bytes) is skipped and counted,
    // the others go; without best effort the same batch is refused whole
    const be = (bestEffort: boolean): SendBatch => {
      const x = new SendBatch({ bestEffort });
      const pd = x.dest({ ip: `${NET.x}.200`, port: 9000, policy: 'send-fanout' });
      x.add(pd, Buffer.from('be0')).add(pd, Buffer.alloc(2000, 1)).add(pd, Buffer.from('be2'));
      return x;
    };
    const refused = await mf.send(be(false)).catch((e: unknown) => e);
    expect(refused, 'refused whole').to.be.instanceOf(RequestRejectedError);
    expect((refused as RequestRejectedError).reason).to.match(/message 1\b/);
    const skipped = await mf.send(be(true));
    expect(skipped, show(skipped)).to.deep.include({ messages: 3, sent: 2, skipped: 1 });
    expect(skipped.dropped.invalid).to.equal(1);
    expect((await mf.policies.stats('send-fanout')).destinations.map((x) => x.packets)).to.deep.equal([N + 2, N + 2]);
    // a policy that does not exist is refused at submit, naming it
    const bad = new SendBatch();
    bad.add(bad.dest({ ip: `${NET.x}.200`, port: 9000, policy: 'nobody' }), Buffer.from('x'));
    const err = await mf.send(bad).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RequestRejectedError);
    expect((err as RequestRejectedError).reason).to.contain('nobody');
    await mf.policies.remove('send-fanout');
  });

  it('a bad message is refused with its index, and nothing of the batch is sent', async () => {
    const r = await receiver(NS.y, '25000', 1, 1.5);
    // In TypeScript: the plain-object form names the field before anything reaches the core.
    const bad = await mf.send({ destinations: [{ ip: `${NET.y}.2`, port: 25000, mac: mac.y }],
      messages: [{ dest: 0, payload: 'ok' }, { dest: 3, payload: 'bad' }] }).catch((e: unknown) => e);
    expect(bad).to.be.instanceOf(SendValidationError);
    expect((bad as SendValidationError).problems).to.deep.equal(['messages[1].dest: 3 is not an index of destinations; use 0..0']);
    // In the core: a chunk written by hand whose message 2 names a destination it lacks.
    const b = new SendBatch();
    const d = b.dest(to('y', 25000));
    for (let i = 0; i < 4; i++) b.add(d, Buffer.from(`n${i}`));
    const input = b.chunks()[0]!.input;
    let at = SO.chunk.size + SO.dest.size;
    for (let i = 0; i < 2; i++) at += SO.msg.size + 8;
    input.writeUInt16LE(9, at + SO.msg.dest);
    const arg = Buffer.alloc(SO.arg.size);
    arg.writeUInt16LE(SendFlag.COMMIT, SO.arg.flags);
    arg.writeUInt32LE(4, SO.arg.total);
    const err = await mf.request(SendOp.SEND_SUBMIT, arg, input).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RequestRejectedError);
    expect((err as RequestRejectedError).reason).to.match(/message 2\b.*dest/);
    const res = await r.result<Got>();
    expect(res.count, 'nothing of a refused batch leaves').to.equal(0);
  });

  it('a client killed mid-batch leaves the core serving the others', async () => {
    const code = `import { Manifold, SendBatch } from ${JSON.stringify(join(repoRoot(), 'dist', 'ffi', 'index.js'))};
const mf = Manifold.attach(${JSON.stringify(NAME)});
const b = new SendBatch({ timing: 'seq', interval: 2_000_000n });
const d = b.dest(${JSON.stringify(to('y', 26000))});
for (let i = 0; i < 3000; i++) b.add(d, Buffer.from('k' + i), { time: BigInt(i) });
mf.send(b).catch(() => {});
setTimeout(() => console.log('submitted'), 300);
setInterval(() => {}, 1000);`;
    // The batch takes 6 s; the receiver listens 8 s, so what the core would have sent on after the
    // kill would show.
    const rk = await receiver(NS.y, '26000', 3000, 8);
    const child = new Peer(spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] }));
    peers.push(child);
    await child.waitFor('submitted', 15_000);
    await sleep(200);
    child.child.kill('SIGKILL');
    await child.done;
    const killed = await rk.result<Got>();
    expect(killed.count, 'some of the killed client\'s batch left before it died').to.be.above(0);
    expect(killed.count, 'and the rest was dropped with it, not sent on').to.be.below(2000);
    expect(mf.alive()).to.equal(true);
    const r = await receiver(NS.x, '26100', 100, 15);
    const b = new SendBatch();
    const d = b.dest(to('x', 26100));
    for (let i = 0; i < 100; i++) b.add(d, Buffer.from(`a${i}`));
    expect((await mf.send(b)).sent).to.equal(100);
    expect((await r.result<Got>()).count).to.equal(100);
  });

  it('examples/send-hello.ts (shown in docs/send.md) sends its ten messages', async () => {
    const r = await receiver(NS.y, '28000', 10, 15);
    const ex = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'examples', 'send-hello.js'), NAME, `${NET.y}.2:28000`, mac.y],
      { encoding: 'utf8', timeout: 30_000 });
    expect(ex.status, ex.stderr).to.equal(0);
    expect(ex.stdout).to.match(/^sent 10 of 10 over \d+ us, lateness p99 \d+ ns/);
    const res = await r.result<Got>();
    expect(res.got.map(([, , h]) => Buffer.from(h, 'hex').toString())).to.deep.equal(Array.from({ length: 10 }, (_, i) => `hello ${i}`));
  });

  it('manifold send FILE: JSON lines in, the report out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mfsk-'));
    try {
      const file = join(dir, 'batch.jsonl');
      const lines = ['{"timing":"delay"}'];
      for (let i = 0; i < 10; i++) lines.push(JSON.stringify({ to: `${NET.y}.2:${27000 + (i % 2)}`, mac: mac.y, data: `c${i}`, time: `${i}ms` }));
      writeFileSync(file, lines.join('\n') + '\n');
      const r = await receiver(NS.y, '27000,27001', 10, 15);
      const cli = manifold(['send', file, '--json', '--name', NAME]);
      expect(cli.code, cli.stderr).to.equal(0);
      const report = JSON.parse(cli.stdout) as { messages: number; sent: number };
      expect(report).to.deep.include({ messages: 10, sent: 10 });
      const res = await r.result<Got>();
      expect(res.got.map(([, , h]) => Buffer.from(h, 'hex').toString()).sort()).to.deep.equal(Array.from({ length: 10 }, (_, i) => `c${i}`).sort());
      // a bad line: named, and the CLI fails
      writeFileSync(file, '{"to":"198.18.1.2:0","data":"x"}\n');
      const badCli = manifold(['send', file, '--name', NAME]);
      expect(badCli.code).to.equal(1);
      expect(badCli.stderr).to.contain('line 1: to: must be a UDP port 1..65535, not 0');
      const lat = manifold(['lateness', '--json', '--name', NAME]);
      expect(lat.code, lat.stderr).to.equal(0);
      expect((JSON.parse(lat.stdout) as { total: { count: number } }).total.count).to.be.above(0);
      const text = manifold(['lateness', '--name', NAME]);
      expect(text.stdout).to.match(/^all\s+\d+\s/m).and.match(/p99 \(<=\)/);
      const shell = manifold(['shell', '-n', NAME, '-c', 'show lateness']);
      expect(shell.code, shell.stderr).to.equal(0);
      expect(shell.stdout).to.match(/^all\s+\d+\s/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
