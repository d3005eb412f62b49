// `manifold shell`: the prompt of apps/shell/ attached to a running core, or its commands run
// from -c. Exit code 1 when a command failed (the error, with the usage, is on stderr).
import type { ShellArgs } from '../commands/shell.js';
import { CliError } from '../options.js';
import { repl } from '../../shell/repl.js';
import { Session } from '../../shell/session.js';
import { attach } from './attach.js';

export async function shell(args: ShellArgs): Promise<void> {
  const client = attach(args.name);
  const session = new Session(client, { json: args.json });
  let ok: boolean;
  try {
    await session.init();
    ok = args.command !== undefined
      ? await session.runScript(args.command)
      : await repl(session, { historyFile: args.history });
  } finally {
    session.close();
    client.close();
  }
  if (!ok) throw new CliError('a shell command failed (see above)');
}
