// `manifold reload` (and SIGHUP to `manifold start`): the configuration is data, and a new one
// is applied as a diff against the running one, in the manner of Snabb's app network:
//
//   old config ─┐                 ┌─ forward changes ──> FWD_SET per changed port (one atomic
//               ├─ diffConfig() ──┤                      word each: the other ports never notice)
//   new config ─┘                 ├─ policy changes ───> applyPolicyDiff()
//                                 └─ needs a restart ──> refused, nothing applied
//
// What needs a restart of the core (ports added, removed or changed, lcores, memory, ...) is
// refused as a whole with a message naming every such field: a reload is all or nothing.
import type { Policy } from '../policy/index.js';
import type { Manifold } from '../../ffi/index.js';
import type { ApplianceConfig, ForwardMode, PortConfig } from './config.js';

/** A port's forwarding as the core runs it. */
export interface EffectiveForward {
  port: number;
  name: string;
  mode: ForwardMode;
  /** egress port index; null: none (io and mac drop, as drop_no_egress) */
  peer: number | null;
  /** next-hop MAC for the mac mode */
  peerMac: string;
}

export interface ConfigDiff {
  /** changes a running core cannot take: each names the field, old and new value */
  refused: string[];
  /** ports whose forwarding changes */
  forward: EffectiveForward[];
  /** true when the policy lists differ */
  policiesChanged: boolean;
}

/** The core's default pairing (core/args.c default_topology): 0<->1, 2<->3, a last odd port to
 * itself. */
function defaultPeer(i: number, n: number): number {
  return i % 2 === 0 ? (i + 1 < n ? i + 1 : i) : i - 1;
}

/** testpmd's default next-hop MAC: 02:00:00:00:00:<peer index>. */
function defaultMac(peer: number | null): string {
  // no peer: the core's default is built from MF_PORT_NONE (0xffff)
  return `02:00:00:00:00:${((peer ?? 0xffff) & 0xff).toString(16).padStart(2, '0')}`;
}

export function effectiveForward(cfg: ApplianceConfig): EffectiveForward[] {
  const names = cfg.ports.map((p) => p.name);
  return cfg.ports.map((p, i) => {
    const peer = p.peer === null ? null : p.peer !== undefined ? names.indexOf(p.peer) : defaultPeer(i, cfg.ports.length);
    return { port: i, name: p.name, mode: p.forward ?? cfg.forward ?? 'io', peer, peerMac: (p.peerMac ?? defaultMac(peer)).toLowerCase() };
  });
}

const RESTART_KEYS = ['name', 'lcores', 'hugepages', 'memoryMb', 'mbufs', 'mbufDataRoom', 'policyMbufs', 'backoff', 'burst', 'workerSched'] as const;
const PORT_RESTART_KEYS = ['name', 'dev', 'ip', 'netns', 'peerIp'] as const;

const show = (v: unknown): string => (v === undefined ? '(unset)' : JSON.stringify(v));

function portRefusals(i: number, a: PortConfig, b: PortConfig): string[] {
  return PORT_RESTART_KEYS.filter((k) => a[k] !== b[k])
    .map((k) => `ports[${i}].${k}: ${show(a[k])} -> ${show(b[k])} needs a restart of the core (stop and start)`);
}

export function diffConfig(old: ApplianceConfig, next: ApplianceConfig): ConfigDiff {
  const refused: string[] = [];
  for (const k of RESTART_KEYS) {
    if (JSON.stringify(old[k]) !== JSON.stringify(next[k])) refused.push(`${k}: ${show(old[k])} -> ${show(next[k])} needs a restart of the core (stop and start)`);
  }
  if (old.ports.length !== next.ports.length) {
    refused.push(`ports: ${old.ports.length} -> ${next.ports.length} ports; adding or removing a port needs a restart of the core (stop and start)`);
  } else {
    old.ports.forEach((p, i) => refused.push(...portRefusals(i, p, next.ports[i]!)));
  }
  const forward: EffectiveForward[] = [];
  if (refused.length === 0) {
    const a = effectiveForward(old);
    const b = effectiveForward(next);
    b.forEach((f, i) => {
      const o = a[i]!;
      if (o.mode !== f.mode || o.peer !== f.peer || o.peerMac !== f.peerMac) forward.push(f);
    });
  }
  const policySet = (l: readonly unknown[] | undefined): string => JSON.stringify((l ?? []).map((p) => canonical(p as Policy)).sort());
  const policiesChanged = policySet(old.policies) !== policySet(next.policies);
  return { refused, forward, policiesChanged };
}

/** A policy's JSON with defaults filled in and keys sorted: two configurations that say the
 * same policy in other words (key order, "priority": 0 or none) compare equal. */
function canonical(p: Policy): string {
  const sorted = (v: unknown): unknown => (Array.isArray(v) ? v.map(sorted)
    : typeof v === 'object' && v !== null ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]))
      : v);
  return JSON.stringify(sorted({ ...p, priority: p.priority ?? 0, match: p.match ?? {}, lifetime: 'persistent' }));
}

/** Applies the policy part of a reload: only the policies that changed are touched, so the
 * traffic of the others is never disturbed. By id: gone -> removed, new -> added, changed ->
 * updated in place (the core swaps it atomically; kept destinations keep their counters). All
 * persistent, as at start. Removals go first, so a reload that trades one policy for another
 * does not run into the core's limit. Returns one line per change.
 *
 * All or nothing, as the rest of a reload: when the core refuses one step (a port it does not
 * have, a limit), the steps already taken are undone in reverse order and the error says so. */
export async function applyPolicyDiff(client: Manifold, old: readonly unknown[], next: readonly unknown[]): Promise<string[]> {
  const byId = (list: readonly unknown[]): Map<string, Policy> =>
    new Map((list as Policy[]).map((p) => [p.id, { ...p, lifetime: 'persistent' as const }]));
  const before = byId(old);
  const after = byId(next);
  const steps: { line: string; run: () => Promise<void>; undo: () => Promise<void> }[] = [];
  for (const [id, o] of before) {
    if (!after.has(id)) {
      steps.push({ line: `policy ${id}: removed`, run: () => client.policies.remove(id), undo: () => client.policies.add(o) });
    }
  }
  for (const [id, p] of after) {
    const o = before.get(id);
    if (o === undefined) {
      steps.push({ line: `policy ${id}: added`, run: () => client.policies.add(p), undo: () => client.policies.remove(id) });
    } else if (canonical(o) !== canonical(p)) {
      steps.push({ line: `policy ${id}: updated`, run: () => client.policies.update(p), undo: () => client.policies.update(o) });
    }
  }
  const done: typeof steps = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      const why = (err as { reason?: string }).reason ?? (err as Error).message;
      const undoErrors: string[] = [];
      for (const d of done.reverse()) {
        await d.undo().catch((e: unknown) => undoErrors.push(`  - undoing "${d.line}" failed too: ${(e as { reason?: string }).reason ?? (e as Error).message}`));
      }
      const at = step.line.replace(/: \w+$/, '');
      if (undoErrors.length > 0) throw new Error(`reload failed at ${at}: ${why}; the policies are now partly changed:\n${undoErrors.join('\n')}`);
      throw new Error(done.length === 0 ? `reload refused, nothing was changed: ${at}: ${why}`
        : `reload refused, the ${done.length} change(s) before it undone (${done.map((d) => d.line).join('; ')}): ${at}: ${why}`);
    }
    done.push(step);
  }
  return done.map((s) => s.line);
}

export interface ReloadResult {
  /** one line per change applied, e.g. "p2: forward io -> drop" */
  applied: string[];
}

/** Applies `next` over `old` on a running core; throws (with every reason) without changing
 * anything when the diff holds something a running core cannot take. */
export async function reloadConfig(client: Manifold, old: ApplianceConfig, next: ApplianceConfig): Promise<ReloadResult> {
  const d = diffConfig(old, next);
  if (d.refused.length > 0) throw new Error(`reload refused, nothing was changed:\n${d.refused.map((r) => `  - ${r}`).join('\n')}`);
  const before = effectiveForward(old);
  const applied: string[] = [];
  // Policies first: a policy change that is refused stops the reload before any forward change.
  if (d.policiesChanged) applied.push(...(await applyPolicyDiff(client, old.policies ?? [], next.policies ?? [])));
  for (const f of d.forward) {
    const o = before[f.port]!;
    await client.setForward(f.port, f.mode, { peer: f.peer, peerMac: f.peerMac });
    const peerName = (ports: PortConfig[], peer: number | null): string => (peer === null ? 'none' : ports[peer]?.name ?? String(peer));
    applied.push(`${f.name}: forward ${o.mode} -> ${f.mode}, peer ${peerName(old.ports, o.peer)} -> ${peerName(next.ports, f.peer)}` +
      (o.peerMac !== f.peerMac ? `, next-hop ${o.peerMac} -> ${f.peerMac}` : ''));
  }
  return { applied };
}
