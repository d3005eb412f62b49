import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface SendArgs { name: string; json: boolean; file: string; timeout: number }

export const sendCommand: CommandModule<object, SendArgs> = {
  command: 'send <file>',
  describe: 'send a batch of messages from a JSON-lines file (- reads stdin); prints its report (see docs/send.md)',
  builder: (y) => withJson(withName(y))
    .positional('file', { type: 'string', describe: 'JSON lines: optional settings line, then {"to":"IP:PORT","data"|"hex"|"base64":...} per message' })
    .option('timeout', { type: 'number', default: 60, describe: 'give up (and abort the batch) after this many seconds' })
    .check((a) => {
      // yargs-parser reads a lone "-" as an option with an empty name: "" here means stdin.
      if (a.file === '' || a.file === undefined) a.file = '-';
      if (!(typeof a.timeout === 'number' && a.timeout > 0)) throw new Error('--timeout must be a number of seconds above 0, e.g. 60');
      return true;
    }) as never,
  handler: async (argv) => (await import('../impl/send.js')).send(argv),
};
