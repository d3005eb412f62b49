// Parsing the `manifold` command line in unit tests: the real command modules with their
// handlers replaced by a recorder, so nothing starts or attaches.
import { expect } from 'chai';
import type { CommandModule } from 'yargs';
import { buildCli, UsageError } from '../../apps/cli/cli.js';
import { commands } from '../../apps/cli/commands/index.js';

export interface Parsed { command: string; argv: Record<string, unknown> }

export function parseCli(args: string[]): Parsed {
  let seen: Parsed | undefined;
  const recorded = commands.map((m) => ({
    ...m,
    handler: (argv: Record<string, unknown>) => { seen = { command: String(m.command), argv }; },
  })) as unknown as CommandModule[];
  buildCli(recorded).exitProcess(false).parseSync(args);
  if (!seen) throw new Error('no handler ran');
  return seen;
}

/** The message of the UsageError that `args` must cause. */
export function usageError(args: string[]): string {
  try {
    parseCli(args);
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(' ')}`);
}
