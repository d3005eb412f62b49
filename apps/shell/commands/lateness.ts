// show lateness: how late timed sends left (ffi/send.ts, SEND_LATENESS), per transmitting lcore
// and in total, the same table as `manifold lateness`.
import { w } from '../registry.js';
import type { ShellCommand } from '../session.js';
import { latenessText } from '../../send/format.js';

export const latenessCommands: ShellCommand[] = [
  {
    syntax: [w('show'), w('lateness')],
    help: 'lateness of timed sends per transmitting lcore: departures, mean, p50/p99 (bucket bounds), max',
    show: true,
    async run(s) {
      s.result(await s.client.sendLateness(), latenessText);
    },
  },
];
