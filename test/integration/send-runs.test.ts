// Aggregate sends whose messages the worker builds itself (runs, core/send/run.h): asap batches
// into net_null, checked against the port's own counters and the core's final account. The
// kernel interop of the same path is in send-kernel.test.ts; this file is about volume and
// accounting: every message sent or dropped with a reason, fragments built on the worker, two
// batches in flight at once.
import { expect } from 'chai';
import { Manifold, SendBatch, droppedTotal, type SendReport } from '../../ffi/index.js';
import { cleanupAppliances, startAppliance, uniqueName, type RunningAppliance } from '../support/cli.js';

const NAME = uniqueName('sruns');
const DESTS = 64;

async function txPackets(mf: Manifold): Promise<number> {
  const s = await mf.stats();
  return s.ports.reduce((sum, p) => sum + (p.counters.tx_packets ?? 0), 0);
}

function batchOf(count: number, payload: (i: number) => Uint8Array): SendBatch {
  const b = new SendBatch({ timing: 'asap' });
  for (let i = 0; i < DESTS; i++) b.dest({ ip: `198.18.92.${10 + i}`, port: 7000 + i, mac: '02:00:00:00:92:02' });
  for (let i = 0; i < count; i++) b.add(i % DESTS, payload(i));
  return b;
}

function expectAccounted(r: SendReport, messages: number): void {
  expect(r.messages).to.equal(messages);
  expect(r.sent + droppedTotal(r), `sent ${r.sent}, dropped ${JSON.stringify(r.dropped)}`).to.equal(messages);
}

describe('aggregate sends built on the worker (runs), net_null', function () {
  this.timeout(120_000);
  let app: RunningAppliance;
  let mf: Manifold;

  before(async () => {
    app = await startAppliance({
      name: NAME, lcores: '0-1', hugepages: 'off', memoryMb: 512, forward: 'drop',
      ports: [{ name: 'out', dev: 'net_null0,no-rx=1', ip: '198.18.92.1/24' }],
    });
    mf = Manifold.attach(NAME);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([NAME]);
  });

  it('200,000 messages to 64 recipients: each sent once, as the port counts them', async () => {
    const payload = new Uint8Array(64).fill(0x5a);
    const tx0 = await txPackets(mf);
    const r = await mf.send(batchOf(200_000, () => payload), { waitForRoom: true });
    expectAccounted(r, 200_000);
    expect(r.sent).to.equal(200_000); // net_null takes everything: nothing may be lost
    expect(await txPackets(mf) - tx0).to.equal(200_000);
    expect(r.lastTxNs >= r.firstTxNs).to.equal(true);
  });

  it('messages past the MTU are fragmented on the worker: the port sees every fragment', async () => {
    // 3000-byte payloads: 3008 bytes of UDP in 1480-byte fragments = 3 frames each
    const big = new Uint8Array(3000).fill(0x33);
    const small = new Uint8Array(100).fill(0x44);
    const n = 3000;
    const tx0 = await txPackets(mf);
    const r = await mf.send(batchOf(n, (i) => (i % 3 === 0 ? big : small)), { waitForRoom: true });
    expectAccounted(r, n);
    expect(r.sent).to.equal(n);
    const bigs = Math.ceil(n / 3);
    expect(await txPackets(mf) - tx0).to.equal(bigs * 3 + (n - bigs));
  });

  it('batches in flight together each get their own complete report', async () => {
    const sizes = [70_000, 1, 257, 65_536];
    const payload = new Uint8Array(32).fill(1);
    const tx0 = await txPackets(mf);
    const reports = await Promise.all(sizes.map((n) => mf.send(batchOf(n, () => payload), { waitForRoom: true })));
    reports.forEach((r, k) => {
      expectAccounted(r, sizes[k]!);
      expect(r.sent).to.equal(sizes[k]);
    });
    expect(new Set(reports.map((r) => r.batch)).size).to.equal(sizes.length);
    expect(await txPackets(mf) - tx0).to.equal(sizes.reduce((s, n) => s + n, 0));
  });

  it('the worker, not the control lcore, built them (the core\'s final account)', async () => {
    mf.close();
    await app.interrupt();
    const line = app.lines.find((l) => /send: control lcore/.test(l));
    expect(line, app.output.split('\n').slice(-10).join('\n')).to.be.a('string');
    const built = /(\d+) messages of runs/.exec(line!);
    const fed = /sent (\d+) packets fed built/.exec(line!);
    expect(built, line).to.not.equal(null);
    // everything above was asap with static MACs: all of it went as runs
    expect(Number(built![1])).to.equal(200_000 + 3000 + 70_000 + 1 + 257 + 65_536);
    expect(Number(fed![1])).to.equal(0);
  });
});

// Two workers, each owning one port: a batch to destinations on both ports goes to each
// worker as runs of its own messages. This machine may have two CPUs only, so the lcores are
// placed on CPUs explicitly (lcore@CPU): the control lcore on CPU 0, both workers on CPU 1.
describe('aggregate sends with two workers, each owning a port (runs on both)', function () {
  this.timeout(120_000);
  const name = uniqueName('sruns2');
  let app: RunningAppliance;
  let mf: Manifold;

  before(async () => {
    app = await startAppliance({
      name, lcores: '0@0,1@1,2@1', hugepages: 'off', memoryMb: 512, forward: 'drop',
      ports: [
        { name: 'a', dev: 'net_null0,no-rx=1', ip: '198.18.93.1/24' },
        { name: 'b', dev: 'net_null1,no-rx=1', ip: '198.18.94.1/24' },
      ],
    });
    mf = Manifold.attach(name);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([name]);
  });

  it('every message leaves by the port of its destination, built by that port\'s worker', async () => {
    const info = await mf.version();
    expect(info.nWorkers).to.equal(2);
    const b = new SendBatch({ timing: 'asap' });
    // destinations alternate between the two ports' subnets
    for (let i = 0; i < DESTS; i++) {
      b.dest({ ip: `198.18.${i % 2 === 0 ? 93 : 94}.${10 + i}`, port: 7000 + i, mac: '02:00:00:00:93:02' });
    }
    const n = 100_001;
    const payload = new Uint8Array(48).fill(7);
    for (let i = 0; i < n; i++) b.add(i % DESTS, payload);
    const before = (await mf.stats()).ports.map((p) => p.counters.tx_packets ?? 0);
    const r = await mf.send(b, { waitForRoom: true });
    expectAccounted(r, n);
    expect(r.sent).to.equal(n);
    const after = (await mf.stats()).ports.map((p) => p.counters.tx_packets ?? 0);
    const onA = Math.ceil(n / 2); // even destination indexes: messages 0, 2, 4, ...
    expect([after[0]! - before[0]!, after[1]! - before[1]!]).to.deep.equal([onA, n - onA]);

    mf.close();
    await app.interrupt();
    const line = app.lines.find((l) => /send: control lcore/.test(l));
    expect(line, app.output.split('\n').slice(-10).join('\n')).to.be.a('string');
    const perWorker = [...line!.matchAll(/lcore (\d+) sent (\d+) packets fed built \+ (\d+) messages of runs/g)]
      .map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
    expect(perWorker, line).to.deep.equal([[1, 0, onA], [2, 0, n - onA]]);
  });
});
