// Running the real `manifold` command from tests: one-shot commands, and `manifold start` in the
// background until it prints "ready". Everything started is recorded and ended by pid in cleanup.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../apps/paths.js';
import { pidFile, reloadStatusFile } from '../../apps/appliance/pidfile.js';

export const BIN = join(repoRoot(), 'bin', 'manifold.js');

export interface CliResult { code: number; stdout: string; stderr: string }

export function manifold(args: string[], timeoutMs = 30_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A unique instance name for this test process, e.g. "mft-a-12345". */
export function uniqueName(tag: string): string {
  return `mft-${tag}-${process.pid % 100000}`;
}

export function segmentPath(name: string): string {
  return `/dev/shm/manifold.${name}`;
}

export class RunningAppliance {
  readonly lines: string[] = [];
  private exitCode?: number;
  readonly exited: Promise<number>;

  constructor(readonly child: ChildProcess, readonly configFile: string) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      this.exitCode = code ?? (signal ? 128 : 1);
      resolve(this.exitCode);
    }));
    createInterface({ input: child.stdout! }).on('line', (l) => this.lines.push(l));
    createInterface({ input: child.stderr! }).on('line', (l) => this.lines.push(l));
  }

  get output(): string {
    return this.lines.join('\n');
  }

  waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (this.lines.some((l) => re.test(l))) {
          clearInterval(poll);
          resolve();
        } else if (this.exitCode !== undefined || Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`no line matching ${re} (exit ${this.exitCode}):\n${this.output}`));
        }
      }, 20);
    });
  }

  /** SIGINT (as Ctrl-C would), then SIGKILL if it does not exit in time; returns the exit code. */
  async interrupt(timeoutMs = 20_000): Promise<number> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill('SIGINT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

const started: RunningAppliance[] = [];
const dirs: string[] = [];

/** `manifold start --config <config>` in the background; resolves once it printed "ready". */
export async function startAppliance(config: object, extra: string[] = []): Promise<RunningAppliance> {
  const dir = mkdtempSync(join(tmpdir(), 'manifold-test-'));
  dirs.push(dir);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [BIN, 'start', '--config', file, ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const app = new RunningAppliance(child, file);
  started.push(app);
  await app.waitFor(/^ready$/, 60_000);
  return app;
}

/** Ends every appliance a test started and removes its files and segments. Never throws. */
export async function cleanupAppliances(names: string[]): Promise<void> {
  for (const app of started.splice(0)) await app.interrupt().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const name of names) {
    if (existsSync(segmentPath(name))) rmSync(segmentPath(name), { force: true });
    // left by an appliance killed with SIGKILL (manifold start removes them on any other exit)
    rmSync(pidFile(name), { force: true });
    rmSync(reloadStatusFile(name), { force: true });
  }
}
