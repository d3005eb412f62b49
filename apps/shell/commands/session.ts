// The shell's own commands: help, load, sleep, quit.
import { commandName, num, text, usage, w } from '../registry.js';
import { ShellError } from '../errors.js';
import type { ShellCommand } from '../session.js';

export const sessionCommands: ShellCommand[] = [
  {
    syntax: [w('help'), text('command', { optional: true, rest: true })],
    help: 'every command with its usage, or those starting with <command>',
    async run(s, a) {
      const topic = a.command === undefined ? '' : String(a.command);
      const list = s.registry.filter((c) => topic === '' || commandName(c).startsWith(topic) || usage(c).startsWith(topic));
      if (list.length === 0) throw new ShellError(`no command starts with '${topic}'; type help for the list`);
      // A usage longer than the column (policy create's grammar) gets its help on the next line.
      const width = Math.min(40, Math.max(...list.map((c) => usage(c).length)));
      s.print(list.map((c) => (usage(c).length > width ? `  ${usage(c)}\n  ${''.padEnd(width)}  ${c.help}`
        : `  ${usage(c).padEnd(width)}  ${c.help}`)).join('\n'));
      if (topic === '') s.print('  Every show takes --json on the command line (manifold shell --json). Separate commands with ;');
    },
  },
  {
    syntax: [w('load'), text('file')],
    help: 'run the commands of a file, one or more a line (; separates), # starts a comment',
    async run(s, a) {
      await s.load(String(a.file));
    },
  },
  {
    syntax: [w('sleep'), num('seconds', 0, 3600, { integer: false })],
    help: 'wait (in scripts, e.g. while stats-period prints)',
    async run(_s, a) {
      await new Promise((r) => setTimeout(r, Number(a.seconds) * 1000));
    },
  },
  {
    syntax: [w('quit')],
    help: 'leave the shell (the core keeps running)',
    async run(s) {
      s.quitRequested = true;
    },
  },
];
