// Options shared by several commands, declared once so every command spells them the same way.
import type { Argv } from 'yargs';

export const DEFAULT_NAME = process.env.MANIFOLD_NAME ?? 'default';

/** --name; `start` passes no default, so that the configuration's own name applies. */
export function withName<T>(y: Argv<T>, fallback: string | null = DEFAULT_NAME):
  Argv<T & { name: string }> {
  return y.option('name', {
    alias: 'n',
    type: 'string',
    default: fallback ?? undefined,
    describe: 'instance name (selects the control segment and the EAL file prefix)',
  }) as Argv<T & { name: string }>;
}

export function withJson<T>(y: Argv<T>): Argv<T & { json: boolean }> {
  return y.option('json', {
    type: 'boolean',
    default: false,
    describe: 'print machine-readable JSON instead of text',
  }) as Argv<T & { json: boolean }>;
}

/** A failure the user can act on: printed as one line, without a stack, with an exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}
