// Turns a validated appliance configuration into the command line of manifold-core. Pure, so the
// translation is unit-tested without starting anything.
import type { ApplianceConfig } from './config.js';

export function coreArgs(cfg: ApplianceConfig, name: string): string[] {
  // A killed appliance must not leave its core running, owning ports and the segment.
  const args = ['--name', name, '--exit-with-parent'];
  if (cfg.lcores !== undefined) {
    // A count n means lcores 0..n-1; a string is an EAL list as it is.
    args.push('--lcores', typeof cfg.lcores === 'number' ? lcoreRange(cfg.lcores) : cfg.lcores);
  }
  if (cfg.hugepages !== undefined) args.push('--huge', cfg.hugepages);
  if (cfg.memoryMb !== undefined) args.push('--mem', String(cfg.memoryMb));
  if (cfg.mbufs !== undefined) args.push('--mbufs', String(cfg.mbufs));
  if (cfg.mbufDataRoom !== undefined) args.push('--mbuf-data-room', String(cfg.mbufDataRoom));
  if (cfg.policyMbufs !== undefined) args.push('--policy-mbufs', String(cfg.policyMbufs));
  if (cfg.backoff !== undefined) args.push('--backoff', cfg.backoff ? 'on' : 'off');
  if (cfg.workerSched !== undefined) args.push('--worker-sched', cfg.workerSched);
  if (cfg.burst !== undefined) args.push('--burst', String(cfg.burst));
  for (const p of cfg.ports) args.push('--port', `${p.name}=${p.dev}`);
  for (const p of cfg.ports) {
    // The stack's addresses and gateway (core/stack/route.c).
    for (const ip of p.ip === undefined ? [] : Array.isArray(p.ip) ? p.ip : [p.ip]) args.push('--addr', `${p.name}=${ip}`);
    if (p.gateway !== undefined) args.push('--gateway', `${p.name}=${p.gateway}`);
  }
  cfg.ports.forEach((p) => {
    const mode = p.forward ?? cfg.forward;
    if (mode === undefined && p.peer === undefined && p.peerMac === undefined) return;
    let spec = `${p.name}=${mode ?? 'io'}`;
    if (p.peer !== undefined) spec += `:${p.peer ?? 'none'}`; // core/args.c: "none" is no peer
    if (p.peerMac !== undefined) spec += `@${p.peerMac}`;
    args.push('--fwd', spec);
  });
  return args;
}

function lcoreRange(count: number): string {
  return count === 1 ? '0' : `0-${count - 1}`;
}
