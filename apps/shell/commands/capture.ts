// capture port <p> count <n> file <f.pcapng>: the core copies the next n packets received on
// the port; the shell writes them as pcapng.
import { writeFileSync } from 'node:fs';
import { ShellError } from '../errors.js';
import { num, port, text, w } from '../registry.js';
import type { ShellCommand } from '../session.js';
import { pcapng } from '../pcapng.js';

const CAPTURE_WAIT_MS = 10_000;

export const captureCommands: ShellCommand[] = [
  {
    syntax: [w('capture'), w('port'), port('p', { all: false }), w('count'), num('n', 1, 100000), w('file'), text('file')],
    help: `write the next <n> packets received on port <p> to a pcapng file (waits up to ${CAPTURE_WAIT_MS / 1000} s)`,
    show: true,
    async run(s, a) {
      const p = Number(a.p);
      const count = Number(a.n);
      const file = String(a.file);
      const names = (await s.client.ports()).map((x) => x.name);
      const r = await s.client.diag.capture(p, count, { timeoutMs: CAPTURE_WAIT_MS });
      writeFileSync(file, pcapng(r.packets, { ifName: names[p] ?? `port${p}`, snaplen: r.info.snaplen }));
      const summary = { port: p, file, count, captured: r.packets.length, complete: r.complete, bufferFull: r.info.full };
      s.result(summary, (x) => `captured ${x.captured} of ${x.count} packets on port ${p} into ${file}`);
      if (!r.complete) {
        throw new ShellError(`only ${r.packets.length} of ${count} packets arrived on port ${p}` +
          (r.info.full ? ' before the capture buffer was full' : ` within ${CAPTURE_WAIT_MS / 1000} s`) + `; ${file} holds those`);
      }
    },
  },
];
