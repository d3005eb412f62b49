// Where `manifold start` says it runs, so that `manifold reload` finds it:
//
//   $MANIFOLD_RUN_DIR (default /run/manifold)/<name>.pid          pid of `manifold start`
//   $MANIFOLD_RUN_DIR/<name>.reload.json   outcome of the last reload: {seq, ok, message}
//
// Both are removed when the appliance exits. A pid file whose process is gone is stale.
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function runDir(): string {
  return process.env.MANIFOLD_RUN_DIR ?? '/run/manifold';
}

export function pidFile(name: string): string {
  return join(runDir(), `${name}.pid`);
}

export function reloadStatusFile(name: string): string {
  return join(runDir(), `${name}.reload.json`);
}

export interface ReloadStatus {
  /** 1 for the first reload of this appliance, then counting */
  seq: number;
  ok: boolean;
  message: string;
}

export function writePidFile(name: string, pid = process.pid): void {
  mkdirSync(runDir(), { recursive: true, mode: 0o755 });
  rmSync(reloadStatusFile(name), { force: true }); // left by an appliance that was killed
  writeFileSync(pidFile(name), `${pid}\n`);
}

export function readPidFile(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writeReloadStatus(name: string, s: ReloadStatus): void {
  mkdirSync(runDir(), { recursive: true, mode: 0o755 });
  const file = reloadStatusFile(name);
  writeFileSync(`${file}.tmp`, JSON.stringify(s) + '\n');
  renameSync(`${file}.tmp`, file); // atomic: a reader never sees half a file
}

export function readReloadStatus(name: string): ReloadStatus | undefined {
  try {
    return JSON.parse(readFileSync(reloadStatusFile(name), 'utf8')) as ReloadStatus;
  } catch {
    return undefined;
  }
}

/** Removes both files, if they are ours (the pid file names `pid`). */
export function removeRunFiles(name: string, pid = process.pid): void {
  if (readPidFile(name) === pid) rmSync(pidFile(name), { force: true });
  rmSync(reloadStatusFile(name), { force: true });
}
