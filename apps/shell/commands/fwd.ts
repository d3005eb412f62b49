// Forwarding: show fwd stats, set fwd, start, stop, show config.
import { FwdMode, type FwdModeName } from '../../../ffi/index.js';
import { ShellError } from '../errors.js';
import { choice, port, text, w } from '../registry.js';
import type { ShellCommand } from '../session.js';
import { fwdStats, fwdStatsText } from '../format.js';

interface Config {
  name: string;
  version: string;
  dpdkVersion: string;
  corePid: number;
  hugepages: boolean;
  workers: number;
  forwarding: boolean;
  statsPeriod: number;
  ports: { id: number; name: string; driver: string; dev: string; mode: string; peer: number | null; peerMac: string }[];
}

function configText(c: Config): string {
  return [
    `instance ${c.name}: manifold ${c.version}, ${c.dpdkVersion}, core pid ${c.corePid}`,
    `hugepages: ${c.hugepages ? 'yes' : 'no'}  workers: ${c.workers}  forwarding: ${c.forwarding ? 'started' : 'stopped'}` +
      `  stats-period: ${c.statsPeriod > 0 ? `${c.statsPeriod} s` : 'off'}`,
    ...c.ports.map((p) => `  port ${p.id} ${p.name.padEnd(8)} ${p.driver.padEnd(10)} ${p.dev.padEnd(14)} fwd ${p.mode.padEnd(5)} ` +
      `peer ${p.peer === null ? 'none' : p.peer} next-hop ${p.peerMac}`),
  ].join('\n');
}

export const fwdCommands: ShellCommand[] = [
  {
    syntax: [w('show'), w('fwd'), w('stats')],
    help: 'what the workers took from and handed to each port, and every drop by reason',
    show: true,
    async run(s) {
      s.result(fwdStats((await s.client.stats()).ports), fwdStatsText);
    },
  },
  {
    syntax: [w('set'), w('fwd'), choice('mode', ...Object.keys(FwdMode)), port('p', { optional: true })],
    help: 'forward mode of one port or of all (default): io, mac (rewrite MACs), drop, stack',
    async run(s, a) {
      const p = a.p === undefined || a.p === 'all' ? 'all' : Number(a.p);
      await s.client.setForward(p, a.mode as FwdModeName);
      if (!s.json) s.print(`Set ${String(a.mode)} packet forwarding mode on ${p === 'all' ? 'all ports' : `port ${p}`}`);
    },
  },
  {
    syntax: [w('set'), w('peer'), port('p', { all: false }), text('peer', { usage: '<peer>|none' })],
    help: 'where io and mac send what port <p> receives: a port (index or name), or none (dropped, counted as drop_no_egress)',
    async run(s, a) {
      const p = Number(a.p);
      const ports = await s.client.ports();
      const here = ports.find((x) => x.id === p);
      const want = String(a.peer);
      const there = want === 'none' ? null : ports.find((x) => String(x.id) === want || x.name === want);
      if (here === undefined) throw new ShellError(`port ${p} does not exist; ports are 0..${ports.length - 1}`);
      if (there === undefined) {
        throw new ShellError(`peer '${want}' is not a port; give an index (0..${ports.length - 1}), a name ` +
          `(${ports.map((x) => x.name).join(', ')}) or none`);
      }
      if (here.fwdMode.startsWith('mode ')) throw new ShellError(`port ${p} has an unknown forward mode (${here.fwdMode})`);
      // FWD_SET sets the mode too: the port keeps its own
      await s.client.setForward(p, here.fwdMode as FwdModeName, { peer: there === null ? null : there.id });
      if (!s.json) s.print(`Set peer of port ${p} to ${there === null ? 'none' : `port ${there.id} (${there.name})`}`);
    },
  },
  {
    syntax: [w('start')],
    help: 'start forwarding (as testpmd\'s start; a core starts forwarding)',
    async run(s) {
      const r = await s.client.diag.start();
      if (!s.json) s.print(r.wasRunning ? 'Packet forwarding already started' : 'Packet forwarding started');
    },
  },
  {
    syntax: [w('stop')],
    help: 'stop forwarding: packets received are dropped and counted as drop_stopped',
    async run(s) {
      const r = await s.client.diag.stop();
      if (!s.json) s.print(r.wasRunning ? 'Packet forwarding stopped' : 'Packet forwarding not started');
    },
  },
  {
    syntax: [w('show'), w('config')],
    help: 'instance, versions, forwarding state and every port\'s forward configuration',
    show: true,
    async run(s) {
      const [v, ports, run] = await Promise.all([s.client.version(), s.client.ports(), s.client.diag.forwarding()]);
      const c: Config = {
        name: v.name,
        version: v.coreVersion,
        dpdkVersion: v.dpdkVersion,
        corePid: v.corePid,
        hugepages: v.hugepages,
        workers: v.nWorkers,
        forwarding: run.running,
        statsPeriod: s.statsPeriodS,
        ports: ports.map((p) => ({ id: p.id, name: p.name, driver: p.driver, dev: p.dev, mode: p.fwdMode, peer: p.peer, peerMac: p.peerMac })),
      };
      s.result(c, configText);
    },
  },
];
