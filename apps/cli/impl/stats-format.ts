// Text forms of the core's counters: a testpmd-like block per port, and one-line rates between
// two snapshots. Pure functions of the numbers, so they are unit-tested without a core.

export interface PortCounters { id: number; name: string; counters: Record<string, number> }
export interface LcoreCounters { lcoreId: number; role: string; busyShare: number; packets: number }
export interface StatsLike { ports: PortCounters[]; lcores: LcoreCounters[] }
export interface Snapshot { stats: StatsLike; atMs: number }

const MAIN = ['rx_packets', 'rx_bytes', 'tx_packets', 'tx_bytes', 'rx_missed', 'rx_errors', 'tx_errors'];

function si(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + ' G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + ' M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + ' k';
  return n.toFixed(0) + ' ';
}

/** Per-port blocks; counters that are zero are left out unless `all`. */
export function formatStats(stats: StatsLike, all = false): string {
  const out: string[] = [];
  for (const p of stats.ports) {
    out.push(`  ---------------------- statistics for port ${p.id} (${p.name}) ----------------------`);
    const c = p.counters;
    out.push(`  RX-packets: ${String(c.rx_packets ?? 0).padEnd(14)} RX-bytes: ${String(c.rx_bytes ?? 0).padEnd(16)} RX-missed: ${c.rx_missed ?? 0}`);
    out.push(`  TX-packets: ${String(c.tx_packets ?? 0).padEnd(14)} TX-bytes: ${String(c.tx_bytes ?? 0).padEnd(16)} TX-errors: ${c.tx_errors ?? 0}`);
    for (const [name, value] of Object.entries(c)) {
      if (MAIN.includes(name) || (!all && value === 0)) continue;
      out.push(`  ${name.padEnd(16)} ${value}`);
    }
  }
  for (const l of stats.lcores) {
    out.push(`  lcore ${l.lcoreId} (${l.role}): busy ${(l.busyShare * 100).toFixed(1)}%, ${l.packets} packets`);
  }
  return out.join('\n');
}

/** "p0 rx 1.2 Mpps tx 1.2 Mpps | p1 ..." between two snapshots. */
export function formatRates(before: Snapshot, after: Snapshot): string {
  const secs = Math.max(1e-3, (after.atMs - before.atMs) / 1000);
  return after.stats.ports.map((p, i) => {
    const prev = before.stats.ports[i]?.counters ?? {};
    const rate = (k: string) => Math.max(0, (p.counters[k] ?? 0) - (prev[k] ?? 0)) / secs;
    return `${p.name} rx ${si(rate('rx_packets'))}pps tx ${si(rate('tx_packets'))}pps`;
  }).join(' | ');
}
