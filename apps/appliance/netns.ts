// Kernel namespaces for tap ports: the appliance moves the kernel side of a net_tap port into a
// namespace of its own and addresses it, so a demo or a test has a real Linux host on the other
// end of the wire without touching the root namespace. Everything made here is recorded so that
// it, and only it, is removed on exit.
import { execFileSync } from 'node:child_process';

function ip(args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

export function namespaceExists(name: string): boolean {
  return ip(['netns', 'list']).split('\n').some((line) => line.split(' ')[0] === name);
}

export class NamespaceSet {
  private readonly created: string[] = [];

  /** Creates `ns`, moves `iface` (the kernel side of a tap) into it and brings it up. */
  attachTap(ns: string, iface: string, peerIp?: string): void {
    if (namespaceExists(ns)) {
      throw new Error(`network namespace "${ns}" already exists; the appliance only uses ` +
        `namespaces it creates: remove it (ip netns del ${ns}) or choose another "netns"`);
    }
    ip(['netns', 'add', ns]);
    this.created.push(ns);
    ip(['link', 'set', iface, 'netns', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    if (peerIp !== undefined) ip(['-n', ns, 'addr', 'add', peerIp, 'dev', iface]);
    ip(['-n', ns, 'link', 'set', iface, 'up']);
  }

  /** Removes every namespace this set created; never throws (it runs on the way out). */
  removeAll(): string[] {
    const problems: string[] = [];
    for (const ns of this.created.splice(0).reverse()) {
      try {
        ip(['netns', 'del', ns]);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    return problems;
  }

  get names(): readonly string[] {
    return this.created;
  }
}
