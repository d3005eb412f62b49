import type { CommandModule } from 'yargs';
import { withJson, withName } from '../options.js';

export interface PolicyArgs {
  name: string;
  json: boolean;
  action: 'add' | 'update' | 'del' | 'list' | 'show';
  target?: string;
}

export const policyCommand: CommandModule<object, PolicyArgs> = {
  command: 'policy <action> [target]',
  describe: 'policies: add FILE|-, update FILE|-, del ID, list, show ID (see docs/policies.md)',
  builder: (y) => withJson(withName(y))
    .positional('action', {
      choices: ['add', 'update', 'del', 'list', 'show'] as const,
      describe: 'add/update: install from a JSON file (a policy or an array; - reads stdin); ' +
        'del: remove; list: all policies; show: one policy and its counters',
    })
    .positional('target', { type: 'string', describe: 'FILE or - for add/update, ID for del/show' })
    .check((a) => {
      // yargs-parser reads a lone "-" as an option with an empty name and leaves "" here; a
      // file of no name cannot be meant, so "" is stdin.
      if (a.target === '' && (a.action === 'add' || a.action === 'update')) a.target = '-';
      const needs = { add: 'FILE or -', update: 'FILE or -', del: 'a policy ID', show: 'a policy ID', list: null }[a.action as PolicyArgs['action']];
      if (needs && (a.target === undefined || a.target === '')) throw new Error(`policy ${a.action} needs ${needs}`);
      if (!needs && a.target !== undefined) throw new Error(`policy list takes no argument, got "${a.target}"`);
      return true;
    }) as never,
  handler: async (argv) => (await import('../impl/policy.js')).policy(argv),
};
