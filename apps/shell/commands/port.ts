// show port info|stats|xstats, clear port stats: testpmd's port commands.
import type { Args } from '../registry.js';
import { choice, port, w } from '../registry.js';
import type { Session, ShellCommand } from '../session.js';
import { portInfoText, portStatsText, xstatsText } from '../format.js';

/** The port indexes an argument names: every port for 'all'. */
export function portsOf(s: Session, a: Args, key = 'p'): number[] {
  const v = a[key];
  if (v === 'all' || v === undefined) return Array.from({ length: s.portCount() ?? 0 }, (_, i) => i);
  return [Number(v)];
}

export const portCommands: ShellCommand[] = [
  {
    syntax: [w('show'), w('port'), choice('what', 'info', 'stats', 'xstats'), port()],
    help: 'a port\'s description (info), counters (stats) or the NIC\'s extended counters (xstats)',
    show: true,
    async run(s, a) {
      const ids = portsOf(s, a);
      if (a.what === 'info') {
        const all = await s.client.ports();
        s.result(all.filter((p) => ids.includes(p.id)), portInfoText);
      } else if (a.what === 'stats') {
        const st = await s.client.stats();
        s.result(st.ports.filter((p) => ids.includes(p.id)), portStatsText);
      } else {
        const names = (await s.client.ports()).map((p) => p.name);
        const list = [];
        for (const id of ids) list.push({ port: id, name: names[id] ?? `port${id}`, xstats: await s.client.diag.xstats(id) });
        s.result(list, xstatsText);
      }
    },
  },
  {
    syntax: [w('clear'), w('port'), w('stats'), port()],
    help: 'zero a port\'s counters (the core keeps a baseline; the NIC is not touched)',
    async run(s, a) {
      const v = a.p;
      await s.client.clearStats(v === 'all' || v === undefined ? 'all' : Number(v));
      if (!s.json) s.print(`  NIC statistics for ${v === 'all' ? 'all ports' : `port ${String(v)}`} cleared`);
    },
  },
];
