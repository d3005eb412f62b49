// show lcores (in the manner of VPP's show runtime) and set stats-period.
import { num, w } from '../registry.js';
import type { ShellCommand } from '../session.js';
import { lcoreRows, lcoresText, portStatsText } from '../format.js';

export const lcoreCommands: ShellCommand[] = [
  {
    syntax: [w('show'), w('lcores')],
    help: 'per lcore: role, packets, polls, busy share and busy cycles per packet',
    show: true,
    async run(s) {
      s.result(lcoreRows((await s.client.stats()).lcores), lcoresText);
    },
  },
  {
    syntax: [w('set'), w('stats-period'), num('seconds', 0, 3600, { integer: false })],
    help: 'show every port\'s stats every <seconds> while the shell runs (0 stops)',
    async run(s, a) {
      const secs = Number(a.seconds);
      s.setStatsPeriod(secs, async () => {
        const st = await s.client.stats();
        s.result(st.ports, portStatsText);
      });
      if (!s.json) s.print(secs > 0 ? `stats every ${secs} s` : 'periodic stats off');
    },
  },
];
