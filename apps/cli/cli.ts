// The `manifold` command line: one yargs CommandModule per file in commands/, listed in
// commands/index.ts. Errors end as one line naming what is wrong, with exit code 2 for usage
// mistakes and 1 for everything else.
import yargs, { type Argv, type CommandModule } from 'yargs';
import { commands } from './commands/index.js';
import { CliError } from './options.js';
import { ConfigError } from '../appliance/config.js';

/** Thrown by the parser on a usage mistake; carries yargs' message. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

export function buildCli(modules: readonly AnyCommand[] = commands): Argv {
  let cli = yargs()
    .scriptName('manifold')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'name a command; `manifold --help` lists them')
    .help()
    .alias('help', 'h')
    .wrap(100)
    .fail((msg, err) => {
      // yargs gives a message for usage mistakes (including a failed .check()), and only the
      // error for a handler that threw.
      if (msg) throw new UsageError(msg);
      throw err;
    });
  for (const m of modules) cli = cli.command(m);
  return cli;
}

function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError) return 2;
  if (err instanceof CliError) return err.exitCode;
  return 1;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`manifold: error: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write('run `manifold --help` for the commands and their options\n');
    process.exitCode = exitCodeOf(err);
  }
}

