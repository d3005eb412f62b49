// A place for a kernel anchor to send from: two network namespaces joined by a veth pair. The
// sender's namespace routes a /24 of recipients through a gateway whose MAC is a permanent
// neighbour entry, so every datagram takes the whole transmit path (route, neighbour, qdisc,
// veth) with no ARP, and the far namespace discards the frames (not its MAC) without a reply.
// Everything is named after the bench and this pid, and removed by close(), also after a failure.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

const GW_MAC = '02:00:00:00:75:02';

export interface SinkNamespaceOptions {
  /** short tag naming the bench, e.g. 'srate'; the namespace is mfb-<tag>-<pid> */
  tag: string;
  /** the sender's address on the veth, a /24 (e.g. '198.18.75.1') */
  local: string;
  /** the gateway on that /24 (e.g. '198.18.75.2') */
  gateway: string;
  /** the recipients' network, routed through the gateway (e.g. '198.18.76.0/24') */
  recipients: string;
}

function run(cmd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8' });
}

function must(cmd: string, args: string[]): void {
  const r = run(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

export class SinkNamespace {
  readonly ns: string;
  readonly far: string;
  /** the sender's veth, inside `ns` */
  readonly dev = 'v0';
  private made: string[] = [];

  constructor(private readonly o: SinkNamespaceOptions) {
    this.ns = `mfb-${o.tag}-${process.pid}`;
    this.far = `${this.ns}-b`;
  }

  /** Creates both namespaces, the veth, the address, the neighbour and the route. */
  open(): this {
    try {
      for (const ns of [this.ns, this.far]) {
        must('ip', ['netns', 'add', ns]);
        this.made.push(ns);
      }
      must('ip', ['-n', this.ns, 'link', 'add', this.dev, 'type', 'veth', 'peer', 'name', 'v1', 'netns', this.far]);
      must('ip', ['-n', this.ns, 'addr', 'add', `${this.o.local}/24`, 'dev', this.dev]);
      must('ip', ['-n', this.ns, 'link', 'set', this.dev, 'up']);
      must('ip', ['-n', this.far, 'link', 'set', 'v1', 'up']);
      must('ip', ['-n', this.ns, 'neigh', 'replace', this.o.gateway, 'lladdr', GW_MAC, 'dev', this.dev, 'nud', 'permanent']);
      must('ip', ['-n', this.ns, 'route', 'add', this.o.recipients, 'via', this.o.gateway]);
    } catch (e) {
      this.close();
      throw e;
    }
    return this;
  }

  /** Puts the fq qdisc on the sender's veth (deep enough for a schedule milliseconds ahead);
   * returns undefined, or why it could not (e.g. a kernel built without sch_fq). */
  addFq(): string | undefined {
    const r = run('tc', ['-n', this.ns, 'qdisc', 'add', 'dev', this.dev, 'root', 'fq',
      'limit', '200000', 'flow_limit', '200000', 'horizon', '10s']);
    return r.status === 0 ? undefined : (r.stderr || r.error?.message || `tc exited ${r.status}`).trim();
  }

  /** Runs `cmd` in the sender's namespace; throws with its stderr when it fails. */
  exec(cmd: string[]): void {
    must('ip', ['netns', 'exec', this.ns, ...cmd]);
  }

  /** Runs `cmd` in the sender's namespace and returns its last stdout line parsed as JSON. */
  execJson<T>(cmd: string[], timeoutMs: number): T {
    const r = spawnSync('ip', ['netns', 'exec', this.ns, ...cmd], { encoding: 'utf8', timeout: timeoutMs });
    const last = r.stdout?.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) {
      throw new Error(`${cmd[0]} in ${this.ns} ended with ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || 'no output').trim()}`);
    }
    return JSON.parse(last) as T;
  }

  /** Packets the sender's veth was handed so far (the kernel's own count): transmitted, plus
   * dropped because the far end's backlog was full (they took the whole transmit path too). */
  txPackets(): number {
    const r = run('ip', ['-n', this.ns, '-s', '-j', 'link', 'show', 'dev', this.dev]);
    if (r.status !== 0) throw new Error(`ip -n ${this.ns} -s link show ${this.dev}: ${r.stderr.trim()}`);
    const [link] = JSON.parse(r.stdout) as [{ stats64: { tx: { packets: number; dropped: number } } }];
    return link.stats64.tx.packets + link.stats64.tx.dropped;
  }

  close(): void {
    for (const ns of this.made.reverse()) run('ip', ['netns', 'del', ns]);
    this.made = [];
  }
}
