import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface StatusArgs { name: string; json: boolean }

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'is the named instance up? prints its version and ports; exit 0 iff it is',
  builder: (y) => withJson(withName(y)) as never,
  handler: async (argv) => (await import('../impl/status.js')).status(argv),
};
