// What the send benchmarks share: the recipients (64 UDP ports, 64-byte messages), where the
// kernel anchors live in build/, and the core they send through: one net_null port that takes
// whatever it is given (the fastest consumer there is, so the core's send path is what is
// measured), with an address on the recipients' /24 and a static MAC on every destination so
// no ARP is needed.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { SendBatch, type Manifold, type SendSettings } from '../../ffi/index.js';

export const DESTS = 64;
export const PAYLOAD = 64;
/** UDP port of recipient i: PORT_BASE + i. */
export const PORT_BASE = 7000;

/** The kernel anchors' namespace: the sender on 198.18.75.1, recipients 198.18.76.1.. */
export const KERNEL_NET = { local: '198.18.75.1', gateway: '198.18.75.2', recipients: '198.18.76.0/24', first: '198.18.76.1' };

/** manifold-core's port: 198.18.78.1/24, recipients 198.18.78.10.. with a static MAC. */
const CORE_NET = { port: '198.18.78.1/24', firstHost: 10, prefix: '198.18.78.', mac: '02:00:00:00:78:02' };

/** A kernel anchor built by meson (bench/anchors/meson.build). */
export function anchorBinary(name: string): string {
  const file = join(repoRoot(), 'build', 'bench', 'anchors', name);
  if (!existsSync(file)) throw new Error(`${file} is not built; run \`bash scripts/build.sh\``);
  return file;
}

/** A compiled TypeScript anchor (bench/anchors/*.ts, run by node in a namespace). */
export function anchorScript(name: string): string {
  const file = join(repoRoot(), 'dist', 'bench', 'anchors', name);
  if (!existsSync(file)) throw new Error(`${file} is not built; run \`bash scripts/build.sh\``);
  return file;
}

/** One worker lcore sending into net_null; lcores as given (default: control on CPU 0, the
 * worker on CPU 1). */
export function sendCoreConfig(name: string, lcores = '0-1'): object {
  return {
    name, lcores, hugepages: 'off', memoryMb: 1024, forward: 'drop',
    ports: [{ name: 'out', dev: 'net_null0,no-rx=1', ip: CORE_NET.port }],
  };
}

/** An empty batch with the 64 recipients in its table (indexes 0..63). */
export function recipientsBatch(settings: SendSettings): SendBatch {
  const b = new SendBatch(settings);
  addRecipients(b);
  return b;
}

export function addRecipients(b: SendBatch): void {
  for (let i = 0; i < DESTS; i++) {
    b.dest({ ip: CORE_NET.prefix + String(CORE_NET.firstHost + i), port: PORT_BASE + i, mac: CORE_NET.mac });
  }
}

/** The port's tx_packets now (the cross-check of what the core reports sent). */
export async function txPackets(m: Manifold): Promise<number> {
  const s = await m.stats();
  return s.ports.reduce((sum, p) => sum + (p.counters.tx_packets ?? 0), 0);
}

/** The machine's 1-minute load average, for the notes: on a shared box it explains a lot. */
export const loadNote = (): string => `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`;
