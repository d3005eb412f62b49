// `manifold policy add|update|del|list|show`: the JSON form of docs/policies.md, validated here
// (every problem at once) and again by the core. Policies added from the CLI are persistent:
// the CLI's own client detaches as soon as the command ends, so "lifetime": "client" is refused.
import { readFileSync } from 'node:fs';
import { aggregateStatsText, clientLifetimeProblem, policyProblems, type Policy, type PolicyStats, type PolicySummary } from '../../policy/index.js';
import type { PolicyArgs } from '../commands/policy.js';
import { CliError } from '../options.js';
import { withClient } from './attach.js';

function readSource(target: string): { text: string; source: string } {
  if (target === '-') return { text: readFileSync(0, 'utf8'), source: 'stdin' };
  try {
    return { text: readFileSync(target, 'utf8'), source: target };
  } catch (err) {
    throw new CliError(`cannot read ${target}: ${(err as Error).message}`);
  }
}

/** The policies of a file: one object or an array; every problem of every one, or CliError. */
export function parsePolicies(text: string, source: string): Policy[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${source} is not JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new CliError(`${source} holds no policy; give an object or a non-empty array`);
  const problems = list.flatMap((p, i) => {
    const prefix = Array.isArray(value) ? `[${i}].` : '';
    const own = policyProblems(p, prefix);
    // The command's client detaches as soon as it is done: a client policy would go with it
    // at once. Refused, as the appliance configuration refuses it, rather than made
    // persistent behind the user's back.
    if (typeof p === 'object' && p !== null && (p as { lifetime?: unknown }).lifetime === 'client') {
      own.push(clientLifetimeProblem(prefix, 'a client policy goes when its client detaches, and ' +
        'manifold policy detaches as soon as it is done, so the policy would be gone at once; ' +
        'a policy added here is persistent (remove it with manifold policy del), or add it from ' +
        'a program that stays attached (client.policies.add)'));
    }
    return own;
  });
  if (problems.length > 0) throw new CliError(`${source} is not valid:\n` + problems.map((p) => `  - ${p}`).join('\n'));
  return (list as Policy[]).map((p) => ({ ...p, lifetime: 'persistent' as const }));
}

function summaryLine(p: PolicySummary): string {
  return `${p.id.padEnd(24)} prio ${String(p.priority).padStart(6)}  ${p.lifetime.padEnd(10)} ` +
    `actions ${p.actions}  destinations ${String(p.destinations).padStart(5)}  matched ${p.matched.packets} pkts ${p.matched.bytes} bytes`;
}

function statsText(p: Policy, s: PolicyStats): string {
  const lines = [
    `policy ${p.id}`,
    JSON.stringify(p, null, 2),
    `matched ${s.matched.packets} packets, ${s.matched.bytes} bytes; sent ${s.sent.packets} packets, ${s.sent.bytes} bytes`,
  ];
  const drops = Object.entries(s.dropped).filter(([, v]) => v > 0);
  lines.push(`dropped: ${drops.length ? drops.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  if (s.aggregate) lines.push(aggregateStatsText(s.aggregate));
  for (const d of s.destinations) {
    lines.push(`  actions[${d.action}] -> port ${d.port} ${d.ip}:${d.udpPort}  ${d.packets} pkts ${d.bytes} bytes` +
      (d.dropped.nombuf + d.dropped.txFull ? `  dropped nombuf ${d.dropped.nombuf} tx_full ${d.dropped.txFull}` : ''));
  }
  return lines.join('\n');
}

export async function policy(args: PolicyArgs): Promise<void> {
  const parsed = args.action === 'add' || args.action === 'update' ? (() => {
    const { text, source } = readSource(args.target!);
    return parsePolicies(text, source);
  })() : [];
  await withClient(args.name, async (m) => {
    const fail = (err: unknown, what: string): never => {
      throw new CliError(`${what}: ${(err as Error & { reason?: string }).reason ?? (err as Error).message}`);
    };
    switch (args.action) {
      case 'add':
      case 'update':
        for (const p of parsed) {
          await (args.action === 'add' ? m.policies.add(p) : m.policies.update(p)).catch((e: unknown) => fail(e, `policy ${p.id}`));
          if (!args.json) console.log(`${args.action === 'add' ? 'added' : 'updated'} ${p.id}`);
        }
        if (args.json) console.log(JSON.stringify({ [args.action === 'add' ? 'added' : 'updated']: parsed.map((p) => p.id) }));
        break;
      case 'del':
        await m.policies.remove(args.target!).catch((e: unknown) => fail(e, `policy ${args.target}`));
        console.log(args.json ? JSON.stringify({ removed: args.target }) : `removed ${args.target}`);
        break;
      case 'list': {
        const list = await m.policies.list();
        if (args.json) console.log(JSON.stringify(list));
        else console.log(list.length ? list.map(summaryLine).join('\n') : 'no policies');
        break;
      }
      case 'show': {
        const p = await m.policies.get(args.target!).catch((e: unknown) => fail(e, `policy ${args.target}`));
        const s = await m.policies.stats(args.target!).catch((e: unknown) => fail(e, `policy ${args.target}`));
        console.log(args.json ? JSON.stringify({ policy: p, stats: s }) : statsText(p, s));
        break;
      }
    }
  });
}
