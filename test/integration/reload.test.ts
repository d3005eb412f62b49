// `manifold reload` (SIGHUP to `manifold start`): a changed configuration is applied as a diff.
// Four net_null ports in two pairs (p0<->p1, p2<->p3) on one lcore; changing p2 must leave the
// traffic of p0 and p1 untouched: not one packet of theirs counted as dropped, across the reload.
import { expect } from 'chai';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifold, type Stats } from '../../ffi/index.js';
import { pidFile } from '../../apps/appliance/pidfile.js';
import { cleanupAppliances, manifold, startAppliance, uniqueName, type RunningAppliance } from '../support/cli.js';
import { pcapFile, udpFrame } from '../../apps/peers/udp-frames.js';
import type { Policy } from '../../apps/policy/index.js';

const NAME = uniqueName('rl');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function drops(s: Stats, port: number): Record<string, number> {
  return Object.fromEntries(Object.entries(s.ports[port]!.counters).filter(([k, v]) => k.startsWith('drop_') && v > 0));
}

describe('manifold reload: the configuration applied as a diff', function () {
  this.timeout(120_000);
  // made in before(), not here: a describe's body runs even when --grep skips its hooks
  const runDir = join(tmpdir(), `manifold-run-${process.pid}-reload`);
  const savedRunDir = process.env.MANIFOLD_RUN_DIR;
  let app: RunningAppliance;
  let mf: Manifold | undefined;
  const config = {
    name: NAME, lcores: 1, hugepages: 'off',
    ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' },
      { name: 'p2', dev: 'net_null2' }, { name: 'p3', dev: 'net_null3' }],
  };

  before(async () => {
    mkdirSync(runDir, { recursive: true });
    process.env.MANIFOLD_RUN_DIR = runDir; // children inherit it: start writes, reload reads here
    app = await startAppliance(config);
    mf = Manifold.attach(NAME);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([NAME]);
    if (savedRunDir === undefined) delete process.env.MANIFOLD_RUN_DIR;
    else process.env.MANIFOLD_RUN_DIR = savedRunDir;
    rmSync(runDir, { recursive: true, force: true });
  });

  it('manifold start writes its pid file', () => {
    expect(existsSync(pidFile(NAME))).to.equal(true);
  });

  it('an unchanged configuration changes nothing', () => {
    const r = manifold(['reload', '--name', NAME]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/reload: nothing changed/);
  });

  it('one port changed: only it changes; the other pair loses nothing, across the reload', async () => {
    await mf!.clearStats('all');
    await sleep(300);
    const before = await mf!.stats();
    expect(before.ports[0]!.counters.fwd_in).to.be.greaterThan(0);
    config.ports[2] = { ...config.ports[2]!, forward: 'drop' } as typeof config.ports[2];
    writeFileSync(app.configFile, JSON.stringify(config));
    const r = manifold(['reload', '--name', NAME]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/p2: forward io -> drop, peer p3 -> p3/);
    expect(r.stdout).to.not.match(/p0|p1|p3:/);
    await sleep(500);
    const after = await mf!.stats();
    const ports = await mf!.ports();
    expect(ports.map((p) => p.fwdMode)).to.deep.equal(['io', 'io', 'drop', 'io']);
    // p0 and p1 kept forwarding, and not one of their packets was dropped
    expect(after.ports[0]!.counters.fwd_in).to.be.greaterThan(before.ports[0]!.counters.fwd_in!);
    expect(after.ports[1]!.counters.fwd_out).to.be.greaterThan(before.ports[1]!.counters.fwd_out!);
    expect(drops(after, 0)).to.deep.equal({});
    expect(drops(after, 1)).to.deep.equal({});
    // p2 now drops what it receives, by its new mode
    expect(after.ports[2]!.counters.drop_by_mode).to.be.greaterThan(0);
    expect(app.output).to.match(/reload applied:\n\s+p2: forward io -> drop/);
  });

  it('a change that needs a restart is refused, naming it, and nothing is changed', async () => {
    const next = { ...config, burst: 16, ports: config.ports.map((p, i) => (i === 3 ? { ...p, dev: 'net_null9' } : i === 0 ? { ...p, forward: 'mac' } : p)) };
    writeFileSync(app.configFile, JSON.stringify(next));
    const r = manifold(['reload', '--name', NAME]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/reload refused, nothing was changed/);
    expect(r.stderr).to.match(/burst: \(unset\) -> 16 needs a restart/);
    expect(r.stderr).to.match(/ports\[3\]\.dev: "net_null3" -> "net_null9" needs a restart of the core/);
    expect((await mf!.ports()).map((p) => p.fwdMode)).to.deep.equal(['io', 'io', 'drop', 'io']); // p0 not turned to mac
    writeFileSync(app.configFile, JSON.stringify(config));
  });

  it('a configuration file that became invalid is refused with the validator\'s message', () => {
    writeFileSync(app.configFile, '{"ports": [{"name": "p0", "dev": "eth0"}]}');
    const r = manifold(['reload', '--name', NAME]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/ports\[0\]\.dev: "eth0" is neither a PCI address/);
    writeFileSync(app.configFile, JSON.stringify(config));
  });

  it('reload of an instance that manifold start does not run says so', () => {
    const r = manifold(['reload', '--name', `${NAME}x`]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/no appliance '.*x' to reload: no .*\.pid/);
  });

  it('the pid file goes away with the appliance', async () => {
    mf?.close();
    mf = undefined;
    expect(await app.interrupt()).to.equal(0);
    expect(existsSync(pidFile(NAME))).to.equal(false);
  });
});

// Two policies redirecting two UDP services of an endless stream (net_pcap replaying a capture)
// into net_null. A reload changes one of them: the other is never touched, so every packet it
// matched before, during and after the reload was sent (matched == sent, no drop).
describe('manifold reload with policies: only the changed policy is touched', function () {
  this.timeout(120_000);
  const name = uniqueName('rlp');
  const runDir = join(tmpdir(), `manifold-run-${process.pid}-policies`); // made in before()
  const pcap = join(runDir, 'stream.pcap');
  const savedRunDir = process.env.MANIFOLD_RUN_DIR;
  let app: RunningAppliance;
  let mf: Manifold | undefined;
  const redirect = (id: string, dstPort: number, to: string, udpPort: number): Policy => ({
    id, match: { protocol: 'udp', dst: '198.18.30.1', dstPort },
    actions: [{ type: 'redirect', destination: { port: 'out', ip: to, udpPort, mac: '02:00:00:00:00:09', srcIp: '198.18.31.1' } }],
  });
  const keep = redirect('keep', 5000, '198.18.50.1', 7000);
  const config = {
    name, lcores: 1, hugepages: 'off', forward: 'drop',
    ports: [{ name: 'in', dev: `net_pcap0,rx_pcap=${pcap},infinite_rx=1` }, { name: 'out', dev: 'net_null0' }],
    policies: [keep, redirect('change', 5001, '198.18.50.2', 7001)] as Policy[],
  };
  const reload = (policies: Policy[]): string => {
    config.policies = policies;
    writeFileSync(app.configFile, JSON.stringify(config));
    const r = manifold(['reload', '--name', name]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout;
  };

  before(async () => {
    mkdirSync(runDir, { recursive: true });
    process.env.MANIFOLD_RUN_DIR = runDir;
    writeFileSync(pcap, pcapFile([udpFrame('198.18.30.1', 5000, 200), udpFrame('198.18.30.1', 5001, 100)]));
    app = await startAppliance(config);
    mf = Manifold.attach(name);
  });

  after(async () => {
    mf?.close();
    await cleanupAppliances([name]);
    if (savedRunDir === undefined) delete process.env.MANIFOLD_RUN_DIR;
    else process.env.MANIFOLD_RUN_DIR = savedRunDir;
    rmSync(runDir, { recursive: true, force: true });
  });

  it('the appliance installs the policies of its configuration at start', async () => {
    expect((await mf!.policies.list()).map((p) => p.id).sort()).to.deep.equal(['change', 'keep']);
    expect(await mf!.policies.get('keep')).to.deep.equal({ ...keep, priority: 0, lifetime: 'persistent' });
  });

  it('one policy changed: it takes effect; the other loses nothing and keeps flowing', async () => {
    await sleep(300);
    const before = await mf!.policies.stats('keep');
    expect(before.matched.packets, 'traffic through keep').to.be.greaterThan(0);
    expect((await mf!.policies.stats('change')).matched.packets, 'traffic through change').to.be.greaterThan(0);
    // Same policies in other words (key order, explicit defaults): nothing to do.
    const same = config.policies.map((p) => ({ actions: p.actions, match: p.match, id: p.id, priority: 0 }));
    expect(reload(same as Policy[])).to.match(/reload: nothing changed/);
    const changed = redirect('change', 5001, '198.18.50.3', 7002);
    const out = reload([keep, changed]);
    expect(out).to.match(/reload applied:\n\s+policy change: updated\s*$/);
    await sleep(300);
    const during = await mf!.policies.stats('keep');
    expect(during.matched.packets, 'keep\'s counters go on (not reset, not stopped)').to.be.greaterThan(before.matched.packets);
    // Freeze the counters: stopped, the workers no longer run policies.
    await mf!.diag.stop();
    await sleep(200);
    try {
      const k = await mf!.policies.stats('keep');
      expect(k.sent.packets, 'keep: every packet matched was sent').to.equal(k.matched.packets);
      expect(Object.values(k.dropped).reduce((a, b) => a + b, 0), `keep dropped ${JSON.stringify(k.dropped)}`).to.equal(0);
      expect(k.destinations.map((d) => [d.ip, d.udpPort, d.packets])).to.deep.equal([['198.18.50.1', 7000, k.matched.packets]]);
      console.log(`      (keep: ${k.matched.packets} packets matched and sent across the reload, 0 dropped)`);
      const c = await mf!.policies.stats('change');
      expect(c.destinations).to.have.length(1);
      expect(c.destinations[0]).to.include({ ip: '198.18.50.3', udpPort: 7002 });
      expect(c.destinations[0]!.packets, 'the changed policy sends to its new destination').to.be.greaterThan(0);
      expect(await mf!.policies.get('change')).to.deep.equal({ ...changed, priority: 0, lifetime: 'persistent' });
    } finally {
      await mf!.diag.start();
    }
  });

  it('a policy the core refuses: the reload is undone as a whole, naming it', async () => {
    const before = await mf!.policies.get('change');
    config.policies = [keep, redirect('change', 5001, '198.18.50.5', 7005), { ...redirect('bad', 5002, '198.18.50.6', 7006), priority: 1 }];
    (config.policies[2]!.actions[0] as { destination: { port: string } }).destination.port = 'nope';
    writeFileSync(app.configFile, JSON.stringify(config));
    const r = manifold(['reload', '--name', name]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.match(/reload refused, the 1 change\(s\) before it undone \(policy change: updated\): policy bad: .*no port is named "nope"; ports are in, out/);
    expect(await mf!.policies.get('change')).to.deep.equal(before);
    expect((await mf!.policies.list()).map((p) => p.id).sort()).to.deep.equal(['change', 'keep']);
    config.policies = [keep, redirect('change', 5001, '198.18.50.3', 7002)]; // what runs
  });

  it('policies removed and added by a reload', async () => {
    const added = redirect('added', 5001, '198.18.50.4', 7003);
    const out = reload([keep, added]);
    expect(out).to.match(/policy change: removed/);
    expect(out).to.match(/policy added: added/);
    expect(out).to.not.match(/policy keep/);
    expect((await mf!.policies.list()).map((p) => p.id).sort()).to.deep.equal(['added', 'keep']);
    await sleep(300);
    expect((await mf!.policies.stats('added')).sent.packets).to.be.greaterThan(0);
  });
});
