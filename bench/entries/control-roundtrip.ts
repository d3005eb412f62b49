// Control round trip from TypeScript: a NOP request to the core and its completion, synchronous
// (one native call that submits and waits) and asynchronous (promise per request, completions
// polled). Anchor: the same ping-pong over a Unix stream socket to an echo in another process,
// the usual way two local processes talk.
import { fork } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { withCore } from '../core.js';
import { percentile, type BenchEntry, type BenchContext, type Measurement } from '../harness.js';

function summarize(samplesNs: number[]): { p50: number; p99: number } {
  const s = [...samplesNs].sort((a, b) => a - b);
  return { p50: percentile(s, 50) / 1000, p99: percentile(s, 99) / 1000 };
}

async function unixEchoRoundTrip(n: number): Promise<number[]> {
  const path = join(tmpdir(), `mf-bench-echo-${process.pid}.sock`);
  rmSync(path, { force: true });
  const echo = fork(new URL('./unix-echo.js', import.meta.url), [path], { stdio: 'ignore' });
  try {
    await new Promise<void>((resolve, reject) => {
      echo.once('message', () => resolve());
      echo.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
    });
    const sock = net.createConnection(path);
    sock.setNoDelay(true);
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const samples: number[] = [];
    const payload = Buffer.alloc(64, 1);
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await new Promise<void>((r) => { sock.once('data', () => r()); sock.write(payload); });
      samples.push(Number(process.hrtime.bigint() - t0));
    }
    sock.destroy();
    return samples;
  } finally {
    echo.kill('SIGTERM');
    rmSync(path, { force: true });
  }
}

function manifoldRoundTrips(ctx: BenchContext, n: number): Promise<{ sync: number[]; async: number[] }> {
  return withCore(ctx, {
    name: `bench-rt-${process.pid % 100000}`, lcores: '0-1', hugepages: 'off',
    ports: [{ name: 'r0', dev: 'net_ring0' }],
  }, async (m) => {
    const sync: number[] = [];
    const asyncSamples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      m.nopSync();
      sync.push(Number(process.hrtime.bigint() - t0));
    }
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      await m.nop();
      asyncSamples.push(Number(process.hrtime.bigint() - t0));
    }
    return { sync, async: asyncSamples };
  });
}

export const controlRoundTrip: BenchEntry = {
  name: 'control-roundtrip',
  describe: 'NOP request to the core and back, from TypeScript, vs a Unix socket echo',
  async run(ctx): Promise<Measurement[]> {
    const n = ctx.quick ? 200 : 20_000;
    const anchor = summarize(await unixEchoRoundTrip(n));
    const ours = await manifoldRoundTrips(ctx, n);
    const sync = summarize(ours.sync);
    const asy = summarize(ours.async);
    const row = (metric: string, o: number, a: number): Measurement => ({
      metric, unit: 'µs', better: 'lower', ours: o, anchor: a, anchorName: 'Unix socket echo (Node)',
    });
    return [
      row('round trip p50, synchronous call', sync.p50, anchor.p50),
      row('round trip p99, synchronous call', sync.p99, anchor.p99),
      row('round trip p50, promise', asy.p50, anchor.p50),
      row('round trip p99, promise', asy.p99, anchor.p99),
    ];
  },
};
