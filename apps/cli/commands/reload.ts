import type { CommandModule } from 'yargs';
import { withName } from '../options.js';

export interface ReloadArgs { name: string; timeout: number }

export const reloadCommand: CommandModule<object, ReloadArgs> = {
  command: 'reload',
  describe: 'make a running `manifold start` apply its changed configuration file, as a diff (SIGHUP)',
  builder: (y) => withName(y)
    .option('timeout', { type: 'number', default: 15, describe: 'seconds to wait for the outcome' }) as never,
  handler: async (argv) => (await import('../impl/reload.js')).reload(argv),
};
