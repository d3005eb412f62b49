// A helper program run inside a test's network namespace (`ip netns exec`), its output
// collected; result() is its last JSON line. Every peer started is recorded so that after()
// can end the ones still running, by pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The MAC address of `iface` inside namespace `ns`. */
export function kernelMac(ns: string, iface: string): string {
  const r = spawnSync('ip', ['-n', ns, '-j', 'link', 'show', 'dev', iface], { encoding: 'utf8' });
  return (JSON.parse(r.stdout) as { address: string }[])[0]!.address;
}

export class Peer {
  out = '';
  readonly done: Promise<number>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (b: Buffer) => { this.out += b.toString(); });
    child.stderr!.on('data', (b: Buffer) => { this.out += b.toString(); });
    this.done = new Promise((r) => child.on('exit', (code) => r(code ?? -1)));
  }

  async waitFor(text: string, ms: number): Promise<void> {
    const t0 = Date.now();
    while (!this.out.includes(text)) {
      if (Date.now() - t0 > ms) throw new Error(`peer did not say "${text}" in ${ms} ms: ${this.out}`);
      await sleep(20);
    }
  }

  async result<T>(): Promise<T> {
    await this.done;
    const line = this.out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`peer printed no result: ${this.out}`);
    return JSON.parse(line) as T;
  }
}

/** Starts and records peers running `script` (a compiled .js) with node in a namespace. */
export class PeerSet {
  readonly all: Peer[] = [];
  constructor(private readonly script: string) {}

  start(ns: string, args: string[]): Peer {
    const p = new Peer(spawn('ip', ['netns', 'exec', ns, process.execPath, this.script, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.all.push(p);
    return p;
  }

  /** SIGKILL to every peer still running. */
  killAll(): void {
    for (const p of this.all) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
}
