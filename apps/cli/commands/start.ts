import type { CommandModule } from 'yargs';
import { withName } from '../options.js';

export interface StartArgs {
  config: string;
  name?: string;
  duration?: number;
}

export const startCommand: CommandModule<object, StartArgs> = {
  command: 'start',
  describe: 'run the appliance in the foreground from a JSON configuration (Ctrl-C stops it)',
  builder: (y) => withName(y, null)
    .option('config', { alias: 'c', type: 'string', demandOption: true,
      describe: 'appliance configuration (JSON file), see docs/configuration.md' })
    .option('duration', { type: 'number', describe: 'stop by itself after this many seconds' }) as never,
  handler: async (argv) => (await import('../impl/start.js')).start(argv),
};
