import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface LatenessArgs { name: string; json: boolean }

export const latenessCommand: CommandModule<object, LatenessArgs> = {
  command: 'lateness',
  describe: 'how late timed sends left, per transmitting lcore: count, p50/p99/max (see docs/send.md)',
  builder: (y) => withJson(withName(y)) as never,
  handler: async (argv) => (await import('../impl/lateness.js')).lateness(argv),
};
