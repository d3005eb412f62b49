// policy create|list|show|destroy|flush: the policies the core runs (ffi/policies.ts). `policy
// create` takes the one-line grammar of policy-grammar.ts (in the manner of testpmd's `flow
// create`), which gives the same JSON Policy as `manifold policy add` takes. `trace <n>` joins
// here with the core's trace op.
import type { Policy, PolicyStats, PolicySummary } from '../../../ffi/index.js';
import { PolicyError, aggregateStatsText } from '../../policy/index.js';
import { ShellError } from '../errors.js';
import { POLICY_CREATE_USAGE, POLICY_RULE_USAGE, completePolicyCreate, parsePolicyCreate, policyCreateText } from '../policy-grammar.js';
import { text, w } from '../registry.js';
import type { ShellCommand } from '../session.js';

function listText(list: readonly PolicySummary[]): string {
  if (list.length === 0) return '(no policies)';
  const head = `${'id'.padEnd(20)}${'prio'.padStart(6)}  ${'lifetime'.padEnd(10)}${'actions'.padStart(8)}${'dests'.padStart(7)}${'matched'.padStart(14)}`;
  return [head, ...list.map((p) => `${p.id.padEnd(20)}${String(p.priority).padStart(6)}  ${p.lifetime.padEnd(10)}` +
    `${String(p.actions).padStart(8)}${String(p.destinations).padStart(7)}${String(p.matched.packets).padStart(14)}`)].join('\n');
}

function showText(v: { policy: Policy; stats: PolicyStats }): string {
  const drops = Object.entries(v.stats.dropped).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return [policyCreateText(v.policy), JSON.stringify(v.policy, null, 2),
    `matched ${v.stats.matched.packets} packets (${v.stats.matched.bytes} bytes), sent ${v.stats.sent.packets} packets` +
      (drops ? `, dropped: ${drops}` : ', dropped none'),
    ...(v.stats.aggregate ? [aggregateStatsText(v.stats.aggregate)] : [])].join('\n');
}

export const policyCommands: ShellCommand[] = [
  {
    syntax: [w('policy'), w('create'), text('id'), text('rule', { rest: true, usage: POLICY_RULE_USAGE, complete: completePolicyCreate })],
    help: 'add a policy written on one line (pattern items, then actions; see docs/shell.md)',
    async run(s, a) {
      const words = ['policy', 'create', String(a.id), ...String(a.rule).split(' ')];
      let policy: Policy;
      try {
        policy = parsePolicyCreate(words);
      } catch (err) {
        if (err instanceof PolicyError) throw new ShellError(err.message, POLICY_CREATE_USAGE);
        throw err;
      }
      await s.client.policies.add(policy);
      if (!s.json) s.print(`Policy ${policy.id} created`);
    },
  },
  {
    syntax: [w('policy'), w('list')],
    help: 'every policy: id, priority, lifetime, actions, destinations, packets matched',
    show: true,
    async run(s) {
      s.result(await s.client.policies.list(), listText);
    },
  },
  {
    syntax: [w('policy'), w('show'), text('id')],
    help: 'one policy: the policy create line that makes it, its JSON form, its counters',
    show: true,
    async run(s, a) {
      const id = String(a.id);
      const [policy, stats] = await Promise.all([s.client.policies.get(id), s.client.policies.stats(id)]);
      s.result({ policy, stats }, showText);
    },
  },
  {
    syntax: [w('policy'), w('destroy'), text('id')],
    help: 'remove one policy (the others are not disturbed)',
    async run(s, a) {
      await s.client.policies.remove(String(a.id));
      if (!s.json) s.print(`Policy ${String(a.id)} destroyed`);
    },
  },
  {
    syntax: [w('policy'), w('flush')],
    help: 'remove every policy',
    async run(s) {
      const list = await s.client.policies.list();
      for (const p of list) await s.client.policies.remove(p.id);
      if (!s.json) s.print(`${list.length} ${list.length === 1 ? 'policy' : 'policies'} destroyed`);
    },
  },
];
