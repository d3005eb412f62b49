import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface ShellArgs { name: string; json: boolean; command?: string; history?: string }

export const shellCommand: CommandModule<object, ShellArgs> = {
  command: 'shell',
  describe: 'a testpmd-like prompt attached to a running core (docs/shell.md); -c runs commands and exits',
  builder: (y) => withJson(withName(y))
    .option('command', { alias: 'c', type: 'string',
      describe: 'run these commands (separated by ;) and exit; stops at the first that fails' })
    .option('history', { type: 'string',
      describe: 'history file of the interactive prompt ("" for none; default ~/.manifold_history)' }) as never,
  handler: async (argv) => (await import('../impl/shell.js')).shell(argv),
};
