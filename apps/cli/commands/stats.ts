import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface StatsArgs { name: string; json: boolean; period?: number; count?: number; all: boolean }

export const statsCommand: CommandModule<object, StatsArgs> = {
  command: 'stats',
  describe: 'per-port and per-lcore counters of the named instance',
  builder: (y) => withJson(withName(y))
    .option('period', { type: 'number', describe: 'print again every S seconds, with rates' })
    .option('count', { type: 'number', describe: 'with --period: stop after this many prints' })
    .option('all', { type: 'boolean', default: false, describe: 'show counters that are zero too' })
    .check((a) => {
      if (a.period !== undefined && !(a.period > 0)) throw new Error('--period must be a number of seconds above 0, e.g. 1');
      if (a.count !== undefined && !(Number.isInteger(a.count) && a.count > 0)) {
        throw new Error('--count must be a whole number above 0');
      }
      return true;
    }) as never,
  handler: async (argv) => (await import('../impl/stats.js')).stats(argv),
};
