// Collecting what an app's UDP socket on the core receives, for tests.
import type { Datagram } from '../../ffi/index.js';

/** Waits (at most `ms`) until `want` datagrams arrived, then 200 ms more so that anything beyond
 * `want` shows too; returns all of them. */
export async function collect(sock: { onMessage(cb: (d: Datagram) => void): () => void }, want: number,
  ms: number): Promise<Datagram[]> {
  const got: Datagram[] = [];
  const stop = sock.onMessage((d) => got.push(d));
  const until = Date.now() + ms;
  while (got.length < want && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  stop();
  return got;
}
