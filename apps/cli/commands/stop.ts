import type { CommandModule } from 'yargs';
import { withName } from '../options.js';

export interface StopArgs { name: string; timeout: number }

export const stopCommand: CommandModule<object, StopArgs> = {
  command: 'stop',
  describe: 'stop the named instance cleanly and wait until it has exited',
  builder: (y) => withName(y)
    .option('timeout', { type: 'number', default: 15, describe: 'seconds to wait for the exit' }) as never,
  handler: async (argv) => (await import('../impl/stop.js')).stop(argv),
};
