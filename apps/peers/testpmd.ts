// dpdk-testpmd as an independent peer: started interactive, driven one command at a time through
// its prompt, ended with `quit` (SIGTERM, then SIGKILL, if it does not go). Used by the benchmarks
// as the anchor and by interop tests as a traffic source or sink nobody here wrote.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const PROMPT = 'testpmd> ';
let nextRun = 0;

export interface TestPmdOptions {
  /** EAL arguments, e.g. ['-l', '0-1', '--no-pci', '--vdev', 'net_null0', ...], without
   * --file-prefix: every run gets its own, removed from /var/run/dpdk when testpmd has gone. */
  eal: string[];
  /** testpmd's own arguments after `--` (without -i, which is always given). */
  app?: string[];
  /** Seconds to wait for the first prompt. */
  startTimeoutS?: number;
}

export class TestPmd {
  private child?: ChildProcess;
  private buffer = '';
  private waiter?: { resolve: (out: string) => void; reject: (e: Error) => void };
  private exited = false;
  readonly filePrefix = `mf-testpmd-${process.pid}-${nextRun++}`;

  /** testpmd's process id while it runs (stdbuf execs it, so the child is testpmd itself). */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid;
  }

  async start(opts: TestPmdOptions): Promise<string> {
    const eal = [...opts.eal, '--file-prefix', this.filePrefix];
    // testpmd printf()s its output but writes its prompt straight to the fd: unbuffered stdout
    // (stdbuf) keeps each command's output ahead of the prompt that ends it.
    const child = spawn('stdbuf', ['-o0', 'dpdk-testpmd', ...eal, '--', '-i', ...(opts.app ?? [])],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    const onData = (d: Buffer) => {
      this.buffer += d.toString();
      this.deliver();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      this.exited = true;
      rmSync(`/var/run/dpdk/${this.filePrefix}`, { recursive: true, force: true });
      this.waiter?.reject(new Error(`dpdk-testpmd exited (code ${code}):\n${this.buffer.slice(-2000)}`));
      this.waiter = undefined;
    });
    child.on('error', (err) => this.waiter?.reject(new Error(`cannot run dpdk-testpmd: ${err.message}`)));
    return this.waitPrompt((opts.startTimeoutS ?? 60) * 1000);
  }

  /** Hands what came before the next prompt to whoever waits for it. */
  private deliver(): void {
    const at = this.buffer.indexOf(PROMPT);
    if (at < 0 || !this.waiter) return;
    const out = this.buffer.slice(0, at);
    this.buffer = this.buffer.slice(at + PROMPT.length);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(out);
  }

  private waitPrompt(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`dpdk-testpmd gave no prompt within ${timeoutMs} ms:\n${this.buffer.slice(-2000)}`));
      }, timeoutMs);
      this.waiter = {
        resolve: (out) => { clearTimeout(timer); resolve(out); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.deliver(); // the prompt may already be in the buffer
    });
  }

  /** Runs one command and returns what testpmd printed before its next prompt. */
  async cmd(line: string, timeoutS = 30): Promise<string> {
    if (!this.child || this.exited) throw new Error('dpdk-testpmd is not running');
    const out = this.waitPrompt(timeoutS * 1000);
    this.child.stdin!.write(line + '\n');
    return out;
  }

  /** Sum of a per-port counter in `show port stats all`, e.g. "TX-packets". */
  static sumCounter(output: string, counter: string): number {
    const re = new RegExp(`${counter}:\\s+(\\d+)`, 'g');
    let sum = 0;
    for (const m of output.matchAll(re)) sum += Number(m[1]);
    return sum;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.stdin!.write('quit\n');
    const term = setTimeout(() => child.kill('SIGTERM'), 10_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(term);
    clearTimeout(kill);
  }
}
