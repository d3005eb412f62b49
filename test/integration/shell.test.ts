// `manifold shell` against the real core on two net_null ports (endless empty 64-byte frames in,
// a void out), on one lcore: every command through -c, --json, errors, a script, the
// interactive prompt through a pseudo-terminal, capture read back by tshark, and DPDK's
// dpdk-telemetry.py reading /manifold/ commands.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../apps/paths.js';
import { Manifold } from '../../ffi/index.js';
import { BIN, manifold } from '../support/cli.js';

const root = repoRoot();
const coreBin = process.env.MANIFOLD_CORE ?? join(root, 'build', 'core', 'manifold-core');
const name = `its${process.pid}`;

interface Run { code: number; stdout: string; stderr: string }

function sh(cmds: string, json = false): Run {
  return manifold(['shell', '-n', name, ...(json ? ['--json'] : []), '-c', cmds], 60_000);
}

/** Parses every stdout line as JSON (throws on the first that is not). */
function jsonLines(r: Run): unknown[] {
  return r.stdout.trim().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Starts manifold-core; resolves once it printed its ready line. */
export async function startCore(instance: string, extra: string[]): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(coreBin, ['--name', instance, '--lcores', '0', '--port', 'p0=net_null0', '--port', 'p1=net_null1', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (b: Buffer) => { text += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { text += b.toString(); });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`core not ready in 20 s:\n${text}`)), 20_000);
    const poll = setInterval(() => {
      if (/manifold-core: ready/.test(text)) {
        clearTimeout(t);
        clearInterval(poll);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(t);
        clearInterval(poll);
        reject(new Error(`core exited ${child.exitCode}:\n${text}`));
      }
    }, 20);
  });
  return { child, output: () => text };
}

export async function stopCore(child: ChildProcess | undefined, instance: string): Promise<void> {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }
  rmSync(`/dev/shm/manifold.${instance}`, { force: true });
  rmSync(`/var/run/dpdk/manifold-${instance}`, { recursive: true, force: true });
}

function counter(stats: unknown, port: number, c: string): number {
  const p = (stats as { counters: Record<string, number> }[])[port];
  const v = p?.counters[c];
  if (v === undefined) throw new Error(`no ${c} for port ${port} in ${JSON.stringify(stats)}`);
  return v;
}

describe('manifold shell against manifold-core (net_null)', function () {
  this.timeout(60_000);
  let core: ChildProcess | undefined;
  let dir: string;

  before(async function () {
    this.timeout(30_000);
    expect(existsSync(coreBin), `${coreBin} is not built; run \`npm run build\``).to.equal(true);
    dir = mkdtempSync(join(tmpdir(), 'manifold-shell-'));
    core = (await startCore(name, ['--huge', 'off'])).child;
  });

  after(async function () {
    this.timeout(30_000);
    await stopCore(core, name);
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every command through -c, in text', () => {
    const r = sh('help; show port info all; show port stats 0; show port xstats 1; clear port stats all; ' +
      'show fwd stats; set fwd mac 1; set fwd io; stop; start; show config; set stats-period 0; show lcores; sleep 0; quit; show config');
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    for (const re of [/capture port <p> count <n> file <file>/, /Infos for port 1 \(p1\)/, /Driver name: net_null/,
      /NIC statistics for port 0 \(p0\)/, /rx_good_packets: \d+/, /statistics for all ports cleared/,
      /Forward statistics for port 1 \(p1\)/, /Set mac packet forwarding mode on port 1/, /Packet forwarding stopped/,
      /Packet forwarding started/, /forwarding: started/, /periodic stats off/, /cycles\/pkt/]) {
      expect(r.stdout).to.match(re);
    }
    // `quit` ends the script: the last `show config` did not run
    expect(r.stdout.match(/forwarding: started/g)).to.have.length(1);
  });

  it('--json: every show prints one line of JSON with the right content', () => {
    const r = sh('show port info all; show port stats all; show port xstats 0; show fwd stats; show config; show lcores; ' +
      'set fwd io; start', true);
    expect(r.code, r.stderr).to.equal(0);
    const [info, stats, xstats, fwd, config, lcores, ...rest] = jsonLines(r) as [
      { name: string; driver: string }[], unknown, { port: number; xstats: { name: string; value: number }[] }[],
      { ports: { rx: number; tx: number }[]; total: { rx: number } }, { name: string; forwarding: boolean; ports: unknown[] },
      { role: string; packets: number; busyShare: number; cyclesPerPacket: number }[], ...unknown[]];
    expect(rest, 'set and start print nothing with --json').to.deep.equal([]);
    expect(info.map((p) => p.name)).to.deep.equal(['p0', 'p1']);
    expect(info[0]!.driver).to.equal('net_null');
    expect(counter(stats, 0, 'fwd_in')).to.be.greaterThan(0);
    expect(xstats[0]!.port).to.equal(0);
    expect(xstats[0]!.xstats.map((x) => x.name)).to.include('rx_good_packets');
    expect(fwd.ports).to.have.length(2);
    expect(fwd.total.rx).to.equal(fwd.ports[0]!.rx + fwd.ports[1]!.rx);
    expect(config.name).to.equal(name);
    expect(config.forwarding).to.equal(true);
    expect(config.ports).to.have.length(2);
    expect(lcores).to.have.length(1);
    expect(lcores[0]!.role).to.equal('both');
    expect(lcores[0]!.packets).to.be.greaterThan(0);
    expect(lcores[0]!.cyclesPerPacket).to.be.greaterThan(0);
    expect(lcores[0]!.busyShare).to.be.within(0, 1);
  });

  it('stop drops and counts drop_stopped; start forwards again', async () => {
    const stopped = sh('stop; clear port stats all; sleep 0.5; show port stats 0; show config', true);
    expect(stopped.code, stopped.stderr).to.equal(0);
    const [s1, c1] = jsonLines(stopped) as [unknown, { forwarding: boolean }];
    expect(c1.forwarding).to.equal(false);
    expect(counter(s1, 0, 'drop_stopped')).to.be.greaterThan(0);
    expect(counter(s1, 0, 'fwd_in')).to.equal(counter(s1, 0, 'drop_stopped'));
    const started = sh('start; clear port stats all; sleep 0.5; show port stats all', true);
    expect(started.code, started.stderr).to.equal(0);
    const [s2] = jsonLines(started);
    expect(counter(s2, 0, 'drop_stopped')).to.equal(0);
    expect(counter(s2, 1, 'fwd_out')).to.be.greaterThan(0);
  });

  it('set fwd drop <p> changes one port only', () => {
    const r = sh('set fwd drop 1; clear port stats all; sleep 0.3; show port stats all; show port info 0; set fwd io', true);
    expect(r.code, r.stderr).to.equal(0);
    const [stats, info] = jsonLines(r) as [unknown, { fwdMode: string }[]];
    expect(counter(stats, 1, 'drop_by_mode')).to.be.greaterThan(0);
    expect(counter(stats, 0, 'drop_by_mode')).to.equal(0);
    expect(info[0]!.fwdMode).to.equal('io');
  });

  it('set peer <p> none drops what port p receives as drop_no_egress; set peer <p> <name> restores it', () => {
    const r = sh('set peer 0 none; clear port stats all; sleep 0.3; show port stats all; show port info 0; ' +
      'set peer 0 p1; show port info 0', true);
    expect(r.code, r.stderr).to.equal(0);
    const [stats, info, after] = jsonLines(r) as [unknown, { peer: number | null }[], { peer: number | null }[]];
    expect(counter(stats, 0, 'drop_no_egress')).to.be.greaterThan(0);
    expect(counter(stats, 1, 'drop_no_egress')).to.equal(0);
    expect(info[0]!.peer).to.equal(null);
    expect(after[0]!.peer).to.equal(1);
    const bad = sh('set peer 0 p9');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/peer 'p9' is not a port; give an index \(0\.\.1\), a name \(p0, p1\) or none/);
  });

  it('errors name the bad token and show the command\'s usage, with exit code 1', () => {
    const cases: [string, RegExp, RegExp | null][] = [
      ['show port foo 0', /bad token 'foo' \(word 3 of 'show port foo 0'\): expected info\|stats\|xstats/, /usage: show port info\|stats\|xstats all\|<p>/],
      ['show port stats 7', /bad token '7'.*port 7 does not exist; ports are 0\.\.1/, /usage: show port info\|stats\|xstats all\|<p>/],
      ['set fwd fast', /bad token 'fast'.*expected io\|mac\|stack\|drop/, /usage: set fwd io\|mac\|stack\|drop \[all\|<p>\]/],
      ['set stats-period -1', /bad token '-1'.*<seconds> must be 0\.\.3600/, /usage: set stats-period <seconds>/],
      ['capture port all count 1 file x', /bad token 'all'.*'all' is not allowed here/, /usage: capture port <p> count <n> file <file>/],
      ['capture port 0 count 5', /'capture port 0 count 5' is incomplete: expected file/, /usage: capture port/],
      ['show', /'show' is incomplete: expected port, or fwd, or config, or lcores, or lateness, or neigh/, /usage: show port .*\n\s+show fwd stats/],
      ['clear port stats 0 1', /bad token '1' \(word 5.*expected the end of the command/, /usage: clear port stats all\|<p>/],
      ['frobnicate', /unknown command 'frobnicate'; commands are show, clear, set/, null],
    ];
    // All of them in one shell fed through a pipe (each line runs; the exit code says one failed)
    const r = spawnSync(process.execPath, [BIN, 'shell', '-n', name], {
      input: cases.map(([cmd]) => cmd).join('\n') + '\nshow lcores\n', encoding: 'utf8', timeout: 60_000 });
    expect(r.status).to.equal(1);
    const errors = r.stderr.split(/^(?=error: )/m).filter((e) => e.startsWith('error: '));
    expect(errors).to.have.length(cases.length);
    cases.forEach(([cmd, msg, use], i) => {
      expect(errors[i], cmd).to.match(msg);
      if (use) expect(errors[i], cmd).to.match(use);
      else expect(errors[i], cmd).to.not.match(/usage:/);
    });
    expect(r.stdout).to.match(/cycles\/pkt/); // a pipe runs on after a failure, as testpmd does
    // -c stops at the first failure: what follows does not run
    const c = sh('show config; show port foo 0; show lcores');
    expect(c.code).to.equal(1);
    expect(c.stdout).to.match(/forwarding: started/);
    expect(c.stdout).to.not.match(/cycles\/pkt/);
  });

  it('load runs a script; a failing line is named with its file and line', () => {
    const good = join(dir, 'good.mf');
    writeFileSync(good, '# a comment\nclear port stats 0\nshow config; show lcores\n\n');
    const r = sh(`load ${good}`, true);
    expect(r.code, r.stderr).to.equal(0);
    expect(jsonLines(r)).to.have.length(2);
    const bad = join(dir, 'bad.mf');
    writeFileSync(bad, 'show config\nshow port bogus 0\nshow lcores\n');
    const b = sh(`load ${bad}`);
    expect(b.code).to.equal(1);
    expect(b.stderr).to.match(/bad token 'bogus'/);
    expect(b.stderr).to.match(new RegExp(`${bad}:2: the command 'show port bogus 0' failed`));
    expect(b.stdout).to.not.match(/cycles\/pkt/);
    expect(sh(`load ${join(dir, 'missing.mf')}`).stderr).to.match(/cannot read .*missing\.mf/);
  });

  it('set stats-period prints the stats every period while the shell runs', () => {
    const r = sh('set stats-period 0.2; sleep 1.1; set stats-period 0; sleep 0.5', true);
    expect(r.code, r.stderr).to.equal(0);
    const lines = jsonLines(r) as unknown[][];
    expect(lines.length).to.be.within(3, 6);
    for (const l of lines) expect(counter(l, 0, 'rx_packets')).to.be.greaterThan(0);
  });

  it('capture writes pcapng that tshark reads with the expected count', function () {
    if (!have('tshark')) this.skip();
    const file = join(dir, 'cap.pcapng');
    const r = sh(`capture port 1 count 100 file ${file}`, true);
    expect(r.code, r.stderr).to.equal(0);
    const [summary] = jsonLines(r) as { captured: number; complete: boolean }[];
    expect(summary).to.include({ captured: 100, complete: true });
    const t = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len', '-e', 'frame.interface_name'], { encoding: 'utf8' });
    expect(t.status, t.stderr).to.equal(0);
    const rows = t.stdout.trim().split('\n');
    expect(rows).to.have.length(100);
    for (const row of rows) expect(row.split('\t')).to.deep.equal(['64', 'p1']); // net_null's frames, on port p1
    const text = sh(`capture port 0 count 3 file ${file}`);
    expect(text.stdout).to.match(/captured 3 of 3 packets on port 0/);
    // More than the core's 4 MiB buffer holds (80 bytes a record here): an error, and the file
    // holds exactly the packets that fitted.
    const full = sh(`capture port 0 count 100000 file ${file}`, true);
    expect(full.code).to.equal(1);
    expect(full.stderr).to.match(/only (\d+) of 100000 packets arrived on port 0 before the capture buffer was full/);
    const [fs] = jsonLines(full) as { captured: number; bufferFull: boolean }[];
    expect(fs!.bufferFull).to.equal(true);
    expect(fs!.captured).to.equal(Math.floor((4 << 20) / 80));
    // capinfos (tshark's companion, same reader) counts without dissecting every frame
    const n = spawnSync('capinfos', ['-M', '-c', file], { encoding: 'utf8' });
    expect(n.status, n.stderr).to.equal(0);
    expect(n.stdout).to.match(new RegExp(`Number of packets:\\s+${fs!.captured}\\n`));
  });

  it('the interactive prompt, through a pseudo-terminal: completion, help, history, errors, quit', function () {
    const hist = join(dir, 'history');
    const steps = [
      { expect: 'manifold> ' },
      { send: 'sh\t', expect: 'show ' },
      { send: 'po\t', expect: 'port ' },
      { send: '\t' },
      { send: '\t', expect: 'info.*stats.*xstats' },
      { send: 'info 1\r', expect: 'Infos for port 1.*manifold> ' },
      { send: 'show con\t', expect: 'config' },
      { send: '\r', expect: 'forwarding: started.*manifold> ' },
      { send: 'help\r', expect: 'capture port <p> count <n> file <file>.*quit.*manifold> ' },
      { send: 'show port foo 0\r', expect: "bad token 'foo'.*usage: show port info\\|stats\\|xstats all\\|<p>.*manifold> " },
      { send: '\u001b[A\u001b[A', expect: 'help' },
      { send: '\r', expect: 'leave the shell.*manifold> ' },
      { send: 'quit\r', expect: '' },
    ];
    const r = spawnSync('python3', [join(root, 'test', 'support', 'pty_drive.py'), JSON.stringify(steps), '--',
      process.execPath, BIN, 'shell', '-n', name, '--history', hist], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/\[pty_drive\] exit 0/);
    const saved = readFileSync(hist, 'utf8').trim().split('\n').map((l) => l.trim());
    expect(saved).to.include.members(['show port info 1', 'show config', 'help', 'quit']);
  });

  it('show neigh and policy list|show|destroy|flush', async () => {
    const neigh = sh('show neigh', true);
    expect(neigh.code, neigh.stderr).to.equal(0);
    expect(jsonLines(neigh)).to.deep.equal([[]]); // no addresses configured: no neighbours
    expect(sh('show neigh').stdout).to.match(/\(no neighbours\)/);
    const mf = Manifold.attach(name);
    try {
      for (const id of ['sh-a', 'sh-b']) {
        await mf.policies.add({ id, priority: 5, match: { inPort: 'p0', protocol: 'udp', dstPort: 9 }, actions: [{ type: 'drop' }] });
      }
    } finally {
      mf.close();
    }
    const r = sh('policy list; policy show sh-a; policy destroy sh-a; policy list', true);
    expect(r.code, r.stderr).to.equal(0);
    const [list1, shown, list2] = jsonLines(r) as [{ id: string; priority: number }[], { policy: { id: string; match: { dstPort: number } }; stats: { matched: { packets: number } } }, { id: string }[]];
    expect(list1.map((p) => p.id).sort()).to.deep.equal(['sh-a', 'sh-b']);
    expect(list1[0]!.priority).to.equal(5);
    expect(shown.policy.id).to.equal('sh-a');
    expect(shown.policy.match.dstPort).to.equal(9);
    expect(shown.stats.matched.packets).to.equal(0); // net_null's zero frames are not UDP
    expect(list2.map((p) => p.id)).to.deep.equal(['sh-b']);
    const text = sh('policy list; policy flush; policy list');
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/sh-b\s+5\s+persistent/);
    expect(text.stdout).to.match(/1 policy destroyed\n\(no policies\)/);
    const bad = sh('policy show nope');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/error: .*nope/);
  });

  it('policy create: the one-line grammar adds exactly the JSON policy; show prints the line back', () => {
    const line = 'policy create gram-fan priority 10 pattern port is p0 / ipv4 src is 198.18.2.0/24 dst is 198.18.0.1 / udp src is 4000 dst is 9000 / end ' +
      'actions replicate to p1 198.18.1.2 7000 mac 02:00:00:00:00:02 src-ip 198.18.1.1, p1 198.18.1.3 7001 mac 02:00:00:00:00:03 src-ip 198.18.1.1 src-port 4001 / ' +
      'redirect to 1 198.18.1.9 6000 mac 02:00:00:00:00:09 src-ip 198.18.1.1 / end';
    const json = {
      id: 'gram-fan', priority: 10, lifetime: 'persistent',
      match: { inPort: 'p0', protocol: 'udp', src: '198.18.2.0/24', srcPort: 4000, dst: '198.18.0.1', dstPort: 9000 },
      actions: [
        { type: 'replicate', destinations: [
          { port: 'p1', ip: '198.18.1.2', udpPort: 7000, mac: '02:00:00:00:00:02', srcIp: '198.18.1.1' },
          { port: 'p1', ip: '198.18.1.3', udpPort: 7001, mac: '02:00:00:00:00:03', srcIp: '198.18.1.1', srcPort: 4001 }] },
        { type: 'redirect', destination: { port: 'p1', ip: '198.18.1.9', udpPort: 6000, mac: '02:00:00:00:00:09', srcIp: '198.18.1.1' } }],
    };
    const created = sh(line);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(/Policy gram-fan created/);
    // A client-lifetime policy lives as long as the shell that made it.
    const r = sh('policy list; policy show gram-fan; policy create gram-tmp lifetime client pattern end actions drop / end; policy list', true);
    expect(r.code, r.stderr).to.equal(0);
    const [list, shown, list2] = jsonLines(r) as [{ id: string; priority: number; destinations: number }[], { policy: unknown }, { id: string; lifetime: string }[]];
    expect(list.map((p) => [p.id, p.priority, p.destinations])).to.deep.equal([['gram-fan', 10, 3]]);
    expect(shown.policy).to.deep.equal(json);
    expect(list2.map((p) => [p.id, p.lifetime])).to.deep.equal([['gram-fan', 'persistent'], ['gram-tmp', 'client']]);
    const text = sh('policy show gram-fan; policy list');
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout.split('\n')[0]).to.equal(line.replace('redirect to 1 ', 'redirect to p1 ').replace('pattern port', 'lifetime persistent pattern port'));
    expect(text.stdout, 'gram-tmp went with its shell').to.not.match(/gram-tmp/);
    const bad = sh('policy create gram-bad pattern udp dst is 9000 / end actions redirect to p1 198.18.1.2 / end');
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/^error: bad token '\/' \(word 16 of 'policy create gram-bad .*'\): <udp-port> must be a port number 1\.\.65535\nusage: policy create <id> \[priority <n>\]/);
    const refused = sh('policy create gram-bad pattern udp / end actions redirect to p7 198.18.1.2 9 / end');
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/error: .*no port is named "p7"; ports are p0, p1/);
    expect(sh('policy destroy gram-fan; policy list').stdout).to.match(/\(no policies\)/);
  });

  it('dpdk-telemetry.py reads the /manifold/ commands', function () {
    if (!have('dpdk-telemetry.py')) this.skip();
    const r = spawnSync('dpdk-telemetry.py', ['-f', `manifold-${name}`], {
      input: '/manifold/ports\n/manifold/port,1\n/manifold/stats,p0\n/manifold/lcores\n/manifold/lcore,0\n/manifold/version\n/manifold/port,9\n/manifold/lateness\n',
      encoding: 'utf8', timeout: 30_000,
    });
    expect(r.status, r.stderr).to.equal(0);
    const replies = r.stdout.split('\n').filter((l) => l.startsWith('{"/manifold/')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(replies).to.have.length(8);
    const get = (i: number): Record<string, unknown> => Object.values(replies[i]!)[0] as Record<string, unknown>;
    expect(replies[0]).to.deep.equal({ '/manifold/ports': ['p0', 'p1'] });
    expect(get(1)).to.include({ id: 1, name: 'p1', driver: 'net_null', peer: 'p0' });
    expect(get(2).fwd_in as number).to.be.greaterThan(0);
    expect(get(2)).to.have.property('drop_stopped');
    expect(replies[3]).to.deep.equal({ '/manifold/lcores': [0] });
    expect(get(4)).to.include({ lcore_id: 0, role: 'both' });
    expect(get(4).cycles_per_packet as number).to.be.greaterThan(0);
    expect(get(5)).to.include({ name, n_ports: 2, hugepages: 0, forwarding: 1 });
    expect(get(5).pid).to.equal(core!.pid);
    expect(replies[6]).to.deep.equal({ '/manifold/port': null }); // no port 9: telemetry's null
    // the send scheduler's lateness: one line per transmitting lcore, then their sum
    const lateness = replies[7]!['/manifold/lateness'] as string[];
    expect(lateness.length).to.be.at.least(2);
    expect(lateness[0]).to.match(/^lcore\d+ count \d+ p50_ns \d+ p99_ns \d+ max_ns \d+ mean_ns \d+ buckets/);
    expect(lateness.at(-1)).to.match(/^all count \d+ p50_ns \d+ p99_ns \d+ max_ns \d+/);
  });

  it('the -c examples of docs/shell.md run as documented', () => {
    const doc = readFileSync(join(root, 'docs', 'shell.md'), 'utf8');
    const examples = [...doc.matchAll(/^\$ manifold shell -n lab( --json)? -c "([^"]+)"$/gm)];
    expect(examples.length).to.be.at.least(3);
    for (const m of examples) {
      const r = sh(m[2]!.replace(/\/tmp\/p0\.pcapng/g, join(dir, 'doc.pcapng')), m[1] !== undefined);
      expect(r.code, `${m[0]}\n${r.stderr}`).to.equal(0);
      if (m[1] !== undefined) expect(() => jsonLines(r), m[0]).to.not.throw();
    }
  });
});

describe('DPDK secondary tools against a core on hugepages', function () {
  this.timeout(90_000);
  const hname = `ith${process.pid}`;
  let core: ChildProcess | undefined;
  let dir: string;

  before(async function () {
    const free = /HugePages_Free:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
    const size = /Hugepagesize:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    const freeMb = free && size ? (Number(free[1]) * Number(size[1])) / 1024 : 0;
    if (freeMb < 256 || !existsSync('/dev/hugepages')) {
      console.log(`      (skipped: needs 256 MB of free hugepages at /dev/hugepages, ${freeMb} MB free)`);
      this.skip();
    }
    if (!have('dpdk-proc-info') || !have('dpdk-dumpcap')) {
      console.log('      (skipped: dpdk-proc-info or dpdk-dumpcap not installed: apt-get install dpdk)');
      this.skip();
    }
    this.timeout(30_000);
    dir = mkdtempSync(join(tmpdir(), 'manifold-huge-'));
    core = (await startCore(hname, ['--huge', 'on', '--mem', '128'])).child;
  });

  after(async function () {
    this.timeout(30_000);
    await stopCore(core, hname);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dpdk-proc-info reads the core\'s ports', () => {
    const r = spawnSync('dpdk-proc-info', [`--file-prefix=manifold-${hname}`, '--no-pci', '--log-level=error', '--', '--stats'],
      { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/NIC statistics for port 0/);
    expect(r.stdout).to.match(/NIC statistics for port 1/);
    const rx = /NIC statistics for port 0[\s\S]*?RX-packets:\s+(\d+)/.exec(r.stdout);
    expect(Number(rx?.[1])).to.be.greaterThan(0);
  });

  it('dpdk-dumpcap captures from the running core; tshark reads the packets', function () {
    if (!have('tshark')) this.skip();
    const file = join(dir, 'dumpcap.pcapng');
    const r = spawnSync('dpdk-dumpcap', [`--file-prefix=manifold-${hname}`, '-i', 'net_null0', '-c', '20', '-w', file, '-q'],
      { encoding: 'utf8', timeout: 60_000, cwd: dir });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
    const t = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.len'], { encoding: 'utf8' });
    expect(t.status, t.stderr).to.equal(0);
    const n = t.stdout.trim().split('\n').length;
    // dpdk-dumpcap 22.11 checks -c after each burst it writes: at least 20, at most a burst more
    expect(n).to.be.within(20, 20 + 32);
  });
});
