// `manifold reload` (SIGHUP to `manifold start`): a changed configuration is applied as a diff.
// Four net_null ports in two pairs (p0<->p1, p2<->p3) on one lcore; changing p2 must leave the
// traffic of p0 and p1 untouched: not one packet of theirs counted as dropped, across the reload.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifold, type Stats } from '../../ffi/index.js';
import { pidFile } from '../../apps/appliance/pidfile.js';
import { cleanupAppliances, manifold, startAppliance, uniqueName, type RunningAppliance } from '../support/cli.js';

const NAME = uniqueName('rl');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function drops(s: Stats, port: number): Record<string, number> {
  return Object.fromEntries(Object.entries(s.ports[port]!.counters).filter(([k, v]) => k.startsWith('drop_') && v > 0));
}

describe('manifold reload: the configuration applied as a diff', function () {
  this.timeout(120_000);
  const runDir = mkdtempSync(join(tmpdir(), 'manifold-run-'));
  const savedRunDir = process.env.MANIFOLD_RUN_DIR;
  let app: RunningAppliance;
  let mf: Manifold | undefined;
  const config = {
    name: NAME, lcores: 1, hugepages: 'off',
    ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' },
      { name: 'p2', dev: 'net_null2' }, { name: 'p3', dev: 'net_null3' }],
  };

  before(async () => {
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
