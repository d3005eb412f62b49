// The appliance end to end through the `manifold` command: start, status, stats, stop; two
// instances side by side; bad configurations; Ctrl-C. The real core runs on virtual devices.
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { processAlive as alive } from '../../apps/process.js';
import { cleanupAppliances, manifold, segmentPath, startAppliance, uniqueName } from '../support/cli.js';

const A = uniqueName('a');

const B = uniqueName('b');

interface PortJson { name: string; driver: string }
interface StatusJson { name: string; running: boolean; pid: number; ports: PortJson[]; reason?: string }
interface StatsJson { ports: { name: string; counters: Record<string, number> }[] }

describe('appliance through the manifold command', function () {
  this.timeout(120_000);
  after(() => cleanupAppliances([A, B]));

  it('refuses a configuration with a wrong field, naming it, with exit code 2', async () => {
    const app = await startAppliance({ name: A, ports: [{ name: 'p0', dev: 'eth0' }] }).catch((e: Error) => e);
    expect(app).to.be.instanceOf(Error);
    expect((app as Error).message).to.match(/ports\[0\]\.dev: "eth0" is neither a PCI address/)
      .and.match(/exit 2/);
    expect(existsSync(segmentPath(A))).to.equal(false);
  });

  it('runs two named instances side by side, answers status and stats, and stops on request', async () => {
    // A forwards between two null devices (traffic without a generator) on one lcore; B sits on
    // idle ring devices. Both share the machine's two cores politely.
    const a = await startAppliance({ name: A, lcores: 1, hugepages: 'off',
      ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' }] });
    const b = await startAppliance({ name: B, lcores: 1, hugepages: 'off',
      ports: [{ name: 'r0', dev: 'net_ring0' }] });
    expect(existsSync(segmentPath(A))).to.equal(true);
    expect(existsSync(segmentPath(B))).to.equal(true);

    const statusA = manifold(['status', '--name', A, '--json']);
    expect(statusA.code, statusA.stderr).to.equal(0);
    const sa = JSON.parse(statusA.stdout) as StatusJson;
    expect(sa).to.include({ name: A, running: true });
    expect(sa.ports.map((p) => p.name)).to.deep.equal(['p0', 'p1']);
    expect(sa.ports[0].driver).to.match(/null/);

    const sb = JSON.parse(manifold(['status', '--name', B, '--json']).stdout) as StatusJson;
    expect(sb.ports.map((p) => p.name)).to.deep.equal(['r0']);
    expect(sb.pid).to.not.equal(sa.pid);

    const text = manifold(['status', '--name', A]);
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(new RegExp(`manifold '${A}' is up`)).and.match(/port 0 p0/);

    const stats = manifold(['stats', '--name', A, '--json']);
    expect(stats.code, stats.stderr).to.equal(0);
    const st = JSON.parse(stats.stdout) as StatsJson;
    const p1 = st.ports.find((p) => p.name === 'p1')!;
    expect(p1.counters.tx_packets).to.be.greaterThan(0);
    expect(st.ports[0].counters.fwd_in).to.be.greaterThan(0);

    const stop = manifold(['stop', '--name', A]);
    expect(stop.code, stop.stderr).to.equal(0);
    expect(stop.stdout).to.match(/stopped/);
    expect(await a.exited).to.equal(0);
    expect(a.output).to.match(/Forward statistics for port 0/);
    expect(existsSync(segmentPath(A))).to.equal(false);

    // B kept running through all of this, and Ctrl-C ends it cleanly too.
    expect(manifold(['status', '--name', B]).code).to.equal(0);
    expect(await b.interrupt()).to.equal(0);
    expect(existsSync(segmentPath(B))).to.equal(false);
  });

  it('takes its core along when the appliance itself is killed', async () => {
    const a = await startAppliance({ name: A, lcores: 1, hugepages: 'off', ports: [{ name: 'r0', dev: 'net_ring0' }] });
    const status = JSON.parse(manifold(['status', '--name', A, '--json']).stdout) as StatusJson;
    a.child.kill('SIGKILL');
    await a.exited;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && (alive(status.pid) || existsSync(segmentPath(A)))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive(status.pid), 'core still running').to.equal(false);
    expect(existsSync(segmentPath(A))).to.equal(false);
  });

  it('workerSched fifo runs the worker thread SCHED_FIFO, and only the worker', async () => {
    await startAppliance({ name: B, lcores: 2, hugepages: 'off', workerSched: 'fifo', ports: [{ name: 'r0', dev: 'net_ring0' }] });
    const status = JSON.parse(manifold(['status', '--name', B, '--json']).stdout) as StatusJson;
    // /proc/PID/task/TID/stat: field 41 is the policy (0 SCHED_OTHER, 1 SCHED_FIFO); the
    // thread name (field 2) may hold spaces, so count from the closing parenthesis
    const policies = new Map<string, number>();
    for (const tid of readdirSync(`/proc/${status.pid}/task`)) {
      const stat = readFileSync(`/proc/${status.pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      policies.set(comm, Number(rest[41 - 3]));
    }
    expect(policies.get('rte-worker-1'), JSON.stringify([...policies])).to.equal(1);
    expect(policies.get('manifold-core'), 'the control lcore stays ordinary').to.equal(0);
    await cleanupAppliances([B]);
  });

  it('says an instance is not up, with exit code 1, in text and JSON', () => {
    const r = manifold(['status', '--name', uniqueName('none'), '--json']);
    expect(r.code).to.equal(1);
    const s = JSON.parse(r.stdout) as StatusJson;
    expect(s.running).to.equal(false);
    expect(s.reason).to.match(/no manifold instance named/);
    const t = manifold(['stats', '--name', uniqueName('none')]);
    expect(t.code).to.equal(1);
    expect(t.stderr).to.match(/manifold start/);
  });
});
