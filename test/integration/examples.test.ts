// The examples the docs show are run against a real core, so they cannot rot.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { cleanupAppliances, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('ex');

describe('documented examples', function () {
  this.timeout(60_000);
  after(() => cleanupAppliances([NAME]));

  it('examples/port-report.ts lists ports, measures traffic, switches forward modes', async () => {
    await startAppliance({ name: NAME, lcores: 1, hugepages: 'off',
      ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' }] });
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'examples', 'port-report.js'), NAME],
      { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`attached to '${NAME}'`))
      .and.match(/port 0 p0: net_null/)
      .and.match(/port 1 p1: net_null/)
      .and.match(/forward modes switched: drop, then io/);
    const rx = /port p0: rx (\d+)/.exec(r.stdout);
    expect(Number(rx?.[1])).to.be.greaterThan(0);
  });

  it('examples/port-report.ts says how to start an instance when there is none', () => {
    const r = spawnSync(process.execPath, [join(repoRoot(), 'dist', 'examples', 'port-report.js'), uniqueName('none')],
      { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/manifold start/);
  });
});
