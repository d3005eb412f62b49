// The appliance: one manifold-core child process started from a configuration, plus the kernel
// namespaces its tap ports lead into. start() resolves once the core serves its control segment
// and the namespaces are set up; stop() ends the core with SIGTERM and removes what was made.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ApplianceConfig } from './config.js';
import { tapInterface } from './config.js';
import { coreArgs } from './core-args.js';
import { reloadConfig, type ReloadResult } from './reload.js';
import type { Policy } from '../policy/index.js';
import { Manifold } from '../../ffi/index.js';
import { NamespaceSet } from './netns.js';
import { coreBinary } from '../paths.js';

const READY_RE = /^manifold-core: ready\b/;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ApplianceOptions {
  /** Instance name; overrides the configuration's. */
  name?: string;
  /** Receives every line the core prints (stdout and stderr). Default: our own stdout/stderr. */
  onCoreLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export class Appliance {
  readonly name: string;
  private child?: ChildProcess;
  private readonly namespaces = new NamespaceSet();
  private exitCode?: Promise<number>;
  private readonly recentErrors: string[] = [];

  private current: ApplianceConfig;

  constructor(config: ApplianceConfig, private readonly opts: ApplianceOptions = {}) {
    this.current = config;
    this.name = opts.name ?? config.name ?? 'default';
  }

  /** The configuration the core runs (the last one reload() applied). */
  get config(): ApplianceConfig {
    return this.current;
  }

  /** Applies a changed configuration to the running core as a diff (reload.ts): only the ports
   * and policies that changed are touched. Throws, changing nothing, when a change needs a
   * restart of the core. */
  async reload(next: ApplianceConfig): Promise<ReloadResult> {
    const client = Manifold.attach(this.name, { startTimeoutMs: 2000 });
    try {
      const r = await reloadConfig(client, this.current, next);
      this.current = next;
      return r;
    } finally {
      client.close();
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves with the core's exit code once it has exited (after stop(), or by itself). */
  get exited(): Promise<number> {
    if (!this.exitCode) throw new Error('appliance not started');
    return this.exitCode;
  }

  async start(): Promise<void> {
    const child = spawn(coreBinary(), coreArgs(this.config, this.name), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exitCode = new Promise((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      child.on('error', () => resolve(127));
    });
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(
        `manifold-core did not become ready within ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
      this.forwardLines(child, (line) => {
        if (READY_RE.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot start manifold-core: ${err.message}`));
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        const why = this.recentErrors.slice(-5).join('\n');
        reject(new Error(`manifold-core exited with code ${code} before it was ready` +
          (why ? `:\n${why}` : '')));
      });
    });
    try {
      await ready;
      this.setUpNamespaces();
      await this.installPolicies();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** The configuration's policies, installed once the core is ready, as persistent policies
   * (the appliance's own client detaches at once). The first refusal stops the start. */
  private async installPolicies(): Promise<void> {
    const list = (this.config.policies ?? []) as Policy[]; // validated by validateConfig
    if (list.length === 0) return;
    const client = Manifold.attach(this.name, { startTimeoutMs: 5000 });
    try {
      for (const [i, p] of list.entries()) {
        await client.policies.add({ ...p, lifetime: 'persistent' }).catch((err: unknown) => {
          throw new Error(`policies[${i}] (${p.id}): ${(err as { reason?: string }).reason ?? (err as Error).message}`);
        });
      }
    } finally {
      client.close();
    }
  }

  private forwardLines(child: ChildProcess, onStdout: (line: string) => void): void {
    const emit = this.opts.onCoreLine ?? ((line: string, stream: 'stdout' | 'stderr') =>
      (stream === 'stdout' ? process.stdout : process.stderr).write(line + '\n'));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      onStdout(line);
      emit(line, 'stdout');
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.recentErrors.push(line);
      if (this.recentErrors.length > 20) this.recentErrors.shift();
      emit(line, 'stderr');
    });
  }

  private setUpNamespaces(): void {
    for (const port of this.config.ports) {
      if (port.netns === undefined) continue;
      const iface = tapInterface(port.dev);
      if (iface === undefined) continue; // validateConfig() refuses this combination
      this.namespaces.attachTap(port.netns, iface, port.peerIp);
    }
  }

  /** Namespaces created for the tap ports, in configuration order. */
  get namespaceNames(): readonly string[] {
    return this.namespaces.names;
  }

  /** Stops the core (SIGTERM, SIGKILL after a grace period) and removes the namespaces. */
  async stop(): Promise<number> {
    const child = this.child;
    let code = 0;
    if (child && this.exitCode) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      code = await this.exitCode;
      clearTimeout(timer);
    }
    for (const problem of this.namespaces.removeAll()) process.stderr.write(`manifold: ${problem}\n`);
    return code;
  }
}
