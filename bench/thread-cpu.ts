// How much of a timed window a DPDK process's forwarding lcores were kept off their CPU by other
// processes. A forwarding lcore polls without ever sleeping, so all the time it spends waiting
// on a run queue (the second field of /proc/<pid>/task/<tid>/schedstat) was taken from it by
// the scheduler for something else: on this shared 2-CPU machine, other engineers' builds, and
// whatever the scheduler moves onto the worker's CPU when the other one is busy. Both sides of
// a comparison are DPDK processes whose lcore threads are named rte-worker-<n>, so both are
// measured the same way. Linux only; without schedstat the window counts whole (waited 0).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** /proc/<pid>/task/<tid> of each thread of `pid` whose name starts with `prefix` (none once
 * the process has gone). */
function threadDirs(pid: number, prefix: string): string[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const dirs: string[] = [];
  for (const tid of tasks) {
    const dir = `/proc/${pid}/task/${tid}`;
    try {
      if (readFileSync(`${dir}/comm`, 'utf8').startsWith(prefix)) dirs.push(dir);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return dirs;
}

/** Nanoseconds the process's rte-worker-* threads have waited on a run queue so far, on
 * average over them (0 when it has none, or has gone). */
export function workerWaitNs(pid: number): number {
  let sum = 0;
  let n = 0;
  for (const dir of threadDirs(pid, 'rte-worker-')) {
    try {
      const fields = readFileSync(`${dir}/schedstat`, 'utf8').trim().split(/\s+/);
      sum += Number(fields[1] ?? 0);
      n++;
    } catch {
      // the thread ended between the listing and the read: it waits no more
    }
  }
  return n === 0 ? 0 : sum / n;
}

let clockTicks: number | undefined;

/** CPU seconds (user + system) the threads of `pid` whose names start with `prefix` have run,
 * summed; NaN when it has none. */
export function threadCpuSeconds(pid: number, prefix: string): number {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const dirs = threadDirs(pid, prefix);
  let total = 0;
  for (const dir of dirs) {
    // fields after the ") " that ends the command name: state is field 3, utime 14, stime 15
    const stat = readFileSync(`${dir}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(f[11]) + Number(f[12])) / clockTicks;
  }
  return dirs.length === 0 ? NaN : total;
}

/** A timed window: wall seconds, and the seconds the forwarding lcores were on their CPU for. */
export class CpuWindow {
  private readonly t0 = process.hrtime.bigint();
  private readonly wait0: number;

  constructor(private readonly pid: number | undefined) {
    this.wait0 = pid === undefined ? 0 : workerWaitNs(pid);
  }

  /** { elapsed, onCpu }: onCpu is elapsed less what the scheduler gave others of a worker's
   * CPU (on average over the workers; with one, the seconds it could forward). */
  end(): { elapsed: number; onCpu: number } {
    const elapsed = Number(process.hrtime.bigint() - this.t0) / 1e9;
    const waited = this.pid === undefined ? 0 : (workerWaitNs(this.pid) - this.wait0) / 1e9;
    return { elapsed, onCpu: Math.max(elapsed - waited, elapsed / 100) };
  }
}
