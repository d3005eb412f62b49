import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface NeighArgs { name: string; json: boolean }

export const neighCommand: CommandModule<object, NeighArgs> = {
  command: 'neigh',
  describe: "the stack's neighbour cache (ARP): address, MAC, state, per port",
  builder: (y) => withJson(withName(y)) as never,
  handler: async (argv) => (await import('../impl/neigh.js')).neigh(argv),
};
