// How much of a timed window a DPDK process's forwarding lcores were kept off their CPU by other
// processes. A forwarding lcore polls without ever sleeping, so all the time it spends waiting
// on a run queue (the second field of /proc/<pid>/task/<tid>/schedstat) was taken from it by
// the scheduler for something else: on this shared 2-CPU machine, other engineers' builds, and
// whatever the scheduler moves onto the worker's CPU when the other one is busy. Both sides of
// a comparison are DPDK processes whose lcore threads are named rte-worker-<n>, so both are
// measured the same way. Linux only; without schedstat the window counts whole (waited 0).
import { readFileSync, readdirSync } from 'node:fs';

/** Nanoseconds the process's rte-worker-* threads have waited on a run queue so far, on
 * average over them (0 when it has none, or has gone). */
export function workerWaitNs(pid: number): number {
  let sum = 0;
  let n = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    try {
      if (!readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('rte-worker-')) continue;
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/);
      sum += Number(fields[1] ?? 0);
      n++;
    } catch {
      // the thread ended between the listing and the read: it waits no more
    }
  }
  return n === 0 ? 0 : sum / n;
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
