// trace <n> [port <p>]: VPP's `trace add` — the workers record what happens to the next n
// packets received (which policy matched and what its actions did, or the forward mode that
// took the packet); the shell waits (bounded) and prints them, oldest first.
import { formatTrace, traceRun, type TraceRecord } from '../../../ffi/trace.js';
import { ShellError } from '../errors.js';
import { num, port, w } from '../registry.js';
import type { Session, ShellCommand } from '../session.js';

const TRACE_WAIT_MS = 10_000;

async function trace(s: Session, count: number, p: number | null): Promise<void> {
  const r = await traceRun(s.client, count, { port: p, timeoutMs: TRACE_WAIT_MS });
  const records = r.records.map((x: TraceRecord) => ({ ...x, tsNs: x.tsNs.toString() }));
  s.result({ count, port: p, recorded: r.records.length, complete: r.complete, records },
    () => [...r.records.map(formatTrace), `${r.records.length} of ${count} packets traced`].join('\n'));
  if (!r.complete) {
    throw new ShellError(`only ${r.records.length} of ${count} packets arrived${p === null ? '' : ` on port ${p}`} within ${TRACE_WAIT_MS / 1000} s`);
  }
}

export const traceCommands: ShellCommand[] = [
  {
    syntax: [w('trace'), num('n', 1, 1000)],
    help: `record what happens to the next <n> packets received on any port: policy and actions, or forward mode (waits up to ${TRACE_WAIT_MS / 1000} s)`,
    show: true,
    async run(s, a) {
      await trace(s, Number(a.n), null);
    },
  },
  {
    syntax: [w('trace'), num('n', 1, 1000), w('port'), port('p', { all: false })],
    help: 'the same, for packets received on port <p> only',
    show: true,
    async run(s, a) {
      await trace(s, Number(a.n), Number(a.p));
    },
  },
];
