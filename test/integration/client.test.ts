// The TypeScript client against the real manifold-core on two net_null ports (which receive
// an endless stream of empty packets and send into the void), on one lcore.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import {
  ABI_MAJOR,
  ARENA_SLOT_SIZE,
  BULK_SLOTS,
  BULK_SLOT_SIZE,
  CoreGoneError,
  Manifold,
  NotRunningError,
  Op,
  RequestRejectedError,
  type Stats,
} from '../../ffi/index.js';
import { packageRoot } from '../../ffi/load.js';

const root = packageRoot() ?? process.cwd();
const coreBin = process.env.MANIFOLD_CORE ?? join(root, 'build', 'core', 'manifold-core');
const name = `itc${process.pid}`;
const shm = `/dev/shm/manifold.${name}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Collects a child's stdout+stderr and resolves when a line matches. */
class Output {
  text = '';
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(child: ChildProcess) {
    const add = (b: Buffer): void => {
      this.text += b.toString();
      this.waiters = this.waiters.filter((w) => {
        const m = this.text.match(w.re);
        if (m) w.resolve(m);
        return !m;
      });
    };
    child.stdout?.on('data', add);
    child.stderr?.on('data', add);
  }

  wait(re: RegExp, ms: number, child: ChildProcess): Promise<RegExpMatchArray> {
    const m = this.text.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; output:\n${this.text}`)), ms);
      const onExit = (code: number | null, sig: string | null): void => {
        clearTimeout(t);
        reject(new Error(`exited (code ${code}, signal ${sig}) before ${re}; output:\n${this.text}`));
      };
      child.once('exit', onExit);
      this.waiters.push({
        re,
        resolve: (mm) => {
          clearTimeout(t);
          child.off('exit', onExit);
          resolve(mm);
        },
      });
    });
  }
}

function c(s: Stats, port: number, counter: string): number {
  const v = s.ports[port]?.counters[counter];
  if (v === undefined) throw new Error(`no counter ${counter} for port ${port}`);
  return v;
}

describe('Manifold client against manifold-core (net_null)', function () {
  this.timeout(30000);
  let core: ChildProcess | undefined;
  let out: Output;
  let mf: Manifold | undefined;
  const children: ChildProcess[] = [];

  function client(): Manifold {
    if (!mf) throw new Error('not attached');
    return mf;
  }

  before(async function () {
    this.timeout(25000);
    expect(existsSync(coreBin), `${coreBin} is not built; run \`npm run build\``).to.equal(true);
    core = spawn(coreBin, ['--name', name, '--huge', 'off', '--lcores', '0', '--port', 'p0=net_null0',
      '--port', 'p1=net_null1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    out = new Output(core);
    await out.wait(/manifold-core: ready name=\S+/, 20000, core);
    mf = Manifold.attach(name);
  });

  after(function () {
    try {
      mf?.close();
    } catch {
      // the core may be gone already
    }
    for (const ch of children) if (ch.pid && ch.exitCode === null) ch.kill('SIGKILL');
    if (core?.pid && core.exitCode === null && core.signalCode === null) process.kill(core.pid, 'SIGKILL');
    try {
      unlinkSync(shm);
    } catch {
      // the core unlinked it
    }
    // A core killed with SIGKILL cannot remove its EAL runtime directory (telemetry socket).
    rmSync(`/var/run/dpdk/manifold-${name}`, { recursive: true, force: true });
  });

  it('version() describes the core', async () => {
    const v = await client().version();
    expect(v.name).to.equal(name);
    expect(v.abiMajor).to.equal(ABI_MAJOR);
    expect(v.corePid).to.equal(core!.pid);
    expect(client().corePid).to.equal(core!.pid);
    expect(v.nPorts).to.equal(2);
    expect(v.hugepages).to.equal(false);
    expect(v.dpdkVersion).to.match(/DPDK/);
    expect(v.startNs <= process.hrtime.bigint()).to.equal(true);
  });

  it('ports() and port() list p0 and p1 on net_null', async () => {
    const ports = await client().ports();
    expect(ports.map((p) => p.name)).to.deep.equal(['p0', 'p1']);
    expect(ports.map((p) => p.id)).to.deep.equal([0, 1]);
    for (const p of ports) expect(p.driver).to.equal('net_null');
    expect(ports[0]!.dev).to.equal('net_null0');
    expect(ports[0]!.mac).to.match(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    const p1 = await client().port(1);
    expect(p1).to.deep.equal(ports[1]);
  });

  it('stats() shows traffic forwarded, and the counters agree with each other', async () => {
    await client().setForward('all', 'io');
    await sleep(1000);
    const a = await client().stats();
    await sleep(300);
    const b = await client().stats();
    expect(b.updatedNs > a.updatedNs).to.equal(true);
    expect(b.ports.map((p) => p.name)).to.deep.equal(['p0', 'p1']);
    for (const port of [0, 1]) {
      for (const k of ['rx_packets', 'fwd_in', 'fwd_out', 'tx_packets']) {
        expect(c(b, port, k), `${k} of port ${port} grows`).to.be.greaterThan(c(a, port, k));
      }
    }
    // After a STATS_SYNC the NIC's view and the workers' agree (loosely: the worker keeps
    // going between the two reads of one fold): p0 received what was taken from it, and p1
    // sent what was handed to it.
    const near = (x: number, y: number): boolean => Math.abs(x - y) <= 0.02 * Math.max(x, y) + 1024;
    expect(near(c(b, 0, 'rx_packets'), c(b, 0, 'fwd_in')), `rx ${c(b, 0, 'rx_packets')} ~ fwd_in ${c(b, 0, 'fwd_in')}`).to.equal(true);
    expect(near(c(b, 1, 'tx_packets'), c(b, 1, 'fwd_out')), `tx ${c(b, 1, 'tx_packets')} ~ fwd_out ${c(b, 1, 'fwd_out')}`).to.equal(true);
    // io forwarding p0 -> p1: what p0 took, p1 was handed (minus what did not fit)
    expect(c(b, 1, 'fwd_out') + c(b, 1, 'drop_tx_full')).to.be.at.most(c(b, 0, 'fwd_in') + c(b, 1, 'fwd_in'));
    expect(b.lcores.length).to.be.greaterThan(0);
    for (const l of b.lcores) expect(l.busyShare).to.be.within(0, 1);
    // statsNow(): no request, the region as last folded
    const now = client().statsNow();
    expect(now.updatedNs >= b.updatedNs).to.equal(true);
    expect(now.ports[0]!.name).to.equal('p0');
  });

  it('clearStats() brings the counters back near 0', async () => {
    const before = await client().stats();
    await client().clearStats('all');
    const after = await client().stats();
    for (const port of [0, 1]) {
      for (const k of ['rx_packets', 'tx_packets', 'fwd_in', 'fwd_out']) {
        expect(c(after, port, k), `${k} of port ${port}`).to.be.below(c(before, port, k) / 2);
      }
    }
    await client().clearStats(0);
  });

  it("setForward('all', 'drop') drops by mode and stops transmission; 'io' resumes it", async () => {
    await client().setForward('all', 'drop');
    const ports = await client().ports();
    expect(ports.map((p) => p.fwdMode)).to.deep.equal(['drop', 'drop']);
    await sleep(200);
    const a = await client().stats();
    await sleep(300);
    const b = await client().stats();
    for (const port of [0, 1]) {
      expect(c(b, port, 'drop_by_mode')).to.be.greaterThan(c(a, port, 'drop_by_mode'));
      expect(c(b, port, 'tx_packets') - c(a, port, 'tx_packets'), `tx of port ${port} while dropping`).to.be.at.most(64);
      expect(c(b, port, 'rx_packets')).to.be.greaterThan(c(a, port, 'rx_packets'));
    }
    await client().setForward('all', 'io');
    await sleep(200);
    const d = await client().stats();
    expect(c(d, 1, 'tx_packets')).to.be.greaterThan(c(b, 1, 'tx_packets') + 64);
  });

  it('a peer of none drops what io receives, counted as drop_no_egress; a mode change keeps the peer', async () => {
    await client().setForward(0, 'io', { peer: null });
    expect((await client().port(0)).peer).to.equal(null);
    await sleep(200);
    const a = await client().stats();
    await sleep(300);
    const b = await client().stats();
    expect(c(b, 0, 'drop_no_egress')).to.be.greaterThan(c(a, 0, 'drop_no_egress'));
    // nothing of port 0's goes out of port 1 (port 1's own peer, port 0, still gets port 1's)
    expect(c(b, 1, 'tx_packets') - c(a, 1, 'tx_packets'), 'tx of port 1 without a feeder').to.be.at.most(64);
    expect(c(b, 0, 'tx_packets')).to.be.greaterThan(c(a, 0, 'tx_packets'));
    // a mode change without a peer keeps "none" (MF_PORT_KEEP, not MF_PORT_NONE, on the wire)
    await client().setForward(0, 'mac');
    expect((await client().port(0))).to.include({ peer: null, fwdMode: 'mac' });
    await client().setForward(0, 'io', { peer: 1 });
    await client().setForward(0, 'io');
    expect((await client().port(0)).peer).to.equal(1);
    await sleep(200);
    const d = await client().stats();
    expect(c(d, 1, 'tx_packets')).to.be.greaterThan(c(b, 1, 'tx_packets') + 64);
    await sleep(300);
    const e = await client().stats();
    expect(c(e, 0, 'drop_no_egress'), 'no more drops once it has a peer').to.be.at.most(c(d, 0, 'drop_no_egress') + 64);
  });

  it('a bad request is rejected with the reason from the core', async () => {
    let err: unknown;
    try {
      await client().port(9);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RequestRejectedError);
    const r = err as RequestRejectedError;
    expect(r.reason).to.match(/port 9/);
    expect(r.status).to.be.below(0);
    expect(r.op).to.equal('PORT_INFO');
    await client().setForward(9, 'drop').then(
      () => expect.fail('FWD_SET on port 9 was accepted'),
      (e: unknown) => expect((e as RequestRejectedError).reason).to.match(/port 9/),
    );
    // the client goes on
    await client().nop();
  });

  it('attach to a bogus name: ENOENT with a hint', () => {
    let err: unknown;
    try {
      Manifold.attach(`nosuch${process.pid}`);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(NotRunningError);
    expect((err as NotRunningError).code).to.equal('ENOENT');
    expect((err as NotRunningError).message).to.match(/manifold start --name nosuch/);
  });

  it('many requests in flight, fetched in batches; callSync in between', async () => {
    const m = client();
    const all = Array.from({ length: 500 }, (_, i) => (i % 50 === 0 ? m.version().then(() => undefined) : m.nop()));
    m.nopSync();
    await Promise.all(all);
    expect(m.inFlight).to.equal(0);
  });

  it('an urgent request overtakes those queued for room in the ring, not those in it', async () => {
    const m = client();
    const order: string[] = [];
    // 300 NOPs: one ring-full goes in at the next flush, the rest wait queued in the client
    const queued = Array.from({ length: 300 }, (_, i) => m.nop().then(() => { order.push(`n${i}`); }));
    const urgent = m.request(Op.VERSION, undefined, undefined, { urgent: true }).then(() => { order.push('urgent'); });
    await Promise.all([...queued, urgent]);
    const at = order.indexOf('urgent');
    expect(at, order.slice(0, 80).join(' ')).to.be.below(300);
    // NOPs complete in order, and the urgent one came before the last ones queued with it
    expect(order.filter((x) => x !== 'urgent')).to.deep.equal(Array.from({ length: 300 }, (_, i) => `n${i}`));
  });

  it('an input given as parts arrives back to back, borrowed or copied alike', async () => {
    const m = client();
    // the core refuses an input past one arena slot by its total, whatever the parts
    const half = new Uint8Array(ARENA_SLOT_SIZE / 2 + 1);
    for (const borrowInput of [false, true]) {
      const err = await m.request(Op.NOP, undefined, [half, half], { borrowInput }).catch((e: unknown) => e);
      expect(String(err)).to.match(new RegExp(`input is ${ARENA_SLOT_SIZE + 2} bytes`));
    }
    // the core sees the parts' total as the request's input (NOP takes none, and says so)
    const refused = await m.request(Op.NOP, undefined, [half.subarray(0, 10), half.subarray(0, 20)], { borrowInput: true }).catch((e: unknown) => e);
    expect(String(refused)).to.match(/got 30 bytes/);
    // a part that is not bytes is refused at once, and the client goes on serving
    const bad = await m.request(Op.NOP, undefined, [half, 42 as unknown as Uint8Array]).catch((e: unknown) => e);
    expect(String(bad)).to.match(/input parts must be Uint8Arrays \(Buffers\), not number/);
    await m.request(Op.NOP);
  });

  it('a bulk input goes only to an op that takes one, up to a bulk slot; the slots come back', async () => {
    const m = client();
    const big = new Uint8Array(ARENA_SLOT_SIZE * 3);
    // more bulk requests than bulk slots: each waits for a slot, each is refused by the core
    // (NOP takes no bulk input) and says so; none is lost, and the slots are free afterwards
    const refused = await Promise.all(Array.from({ length: BULK_SLOTS * 3 }, () =>
      m.request(Op.NOP, undefined, [big.subarray(0, 100), big], { bulk: true }).catch((e: unknown) => e)));
    for (const e of refused) expect(String(e)).to.match(/NOP takes no bulk input; send it without the BULK flag/);
    const tooBig = await m.request(Op.NOP, undefined, [new Uint8Array(BULK_SLOT_SIZE + 1)], { bulk: true }).catch((e: unknown) => e);
    expect(String(tooBig)).to.match(new RegExp(`input is ${BULK_SLOT_SIZE + 1} bytes, a bulk slot holds at most ${BULK_SLOT_SIZE}`));
    await m.request(Op.NOP);
  });

  it('a second client killed with SIGKILL mid-request leaves the core serving the first', async () => {
    const index = pathToFileURL(join(root, 'dist', 'ffi', 'index.js')).href;
    const script = `
      import { Manifold } from ${JSON.stringify(index)};
      const mf = Manifold.attach(${JSON.stringify(name)});
      let n = 0;
      const spin = () => { for (let i = 0; i < 32; i++) mf.stats().then(() => { if (++n === 64) console.log('busy', mf.clientIndex); }); setImmediate(spin); };
      spin();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const childOut = new Output(child);
    const m = await childOut.wait(/busy (\d+)/, 10000, child);
    const slot = m[1];
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await client().nop();
    const v = await client().version();
    expect(v.corePid).to.equal(core!.pid);
    // the core notices the dead client and takes its slot back
    await out.wait(new RegExp(`client ${slot} \\(pid ${child.pid}\\) died; slot reclaimed`), 3000, core!);
    await client().stats();
    const again = Manifold.attach(name);
    await again.nop();
    again.close();
  });

  it('the core killed with SIGKILL: a pending request rejects with ECONNRESET, no hang', async () => {
    const m = client();
    const pid = core!.pid!;
    process.kill(pid, 'SIGSTOP'); // so the request is surely pending when the core dies
    const p = m.nop();
    const settled = p.then(() => 'resolved', (e: unknown) => e);
    await sleep(100);
    expect(m.inFlight).to.equal(1);
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    const res = await settled;
    const dt = performance.now() - t0;
    expect(res).to.be.instanceOf(CoreGoneError);
    expect((res as CoreGoneError).code).to.equal('ECONNRESET');
    expect((res as CoreGoneError).reason).to.match(new RegExp(`core '${name}' \\(pid ${pid}\\) has exited`));
    expect(dt, 'ms from SIGKILL to rejection').to.be.below(1500);
    // later requests fail at once, the same way
    const later = await m.version().then(() => 'resolved', (e: unknown) => e);
    expect(later).to.be.instanceOf(CoreGoneError);
    expect(() => m.nopSync()).to.throw(CoreGoneError);
    expect(m.alive()).to.equal(false);
  });
});
