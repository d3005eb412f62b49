// Text forms of the shell's results, in testpmd's manner. Pure functions of plain data, so the
// unit tests check them without a core; --json prints the same data instead.
import type { LcoreStats, PortCounters, PortInfo, Xstat } from '../../ffi/index.js';

export function portInfoText(ports: readonly PortInfo[]): string {
  return ports.map((p) => [
    `********************* Infos for port ${p.id} (${p.name}) *********************`,
    `MAC address: ${p.mac}`,
    `Device name: ${p.dev}`,
    `Driver name: ${p.driver}`,
    `DPDK port id: ${p.dpdkPortId}`,
    `Link status: ${p.linkUp ? 'up' : 'down'}`,
    `Link speed: ${p.linkSpeedMbps} Mbps`,
    `MTU: ${p.mtu}`,
    `Rx queues: ${p.nRxq}  Tx queues: ${p.nTxq}`,
    `Forward mode: ${p.fwdMode}, peer ${p.peer === null ? 'none' : p.peer}, next-hop MAC ${p.peerMac}`,
  ].join('\n')).join('\n');
}

const num = (v: number | undefined): string => String(v ?? 0).padEnd(14);

export function portStatsText(ports: readonly PortCounters[]): string {
  return ports.map((p) => {
    const c = p.counters;
    return [
      `  ######################## NIC statistics for port ${p.id} (${p.name}) ########################`,
      `  RX-packets: ${num(c.rx_packets)} RX-missed: ${num(c.rx_missed)} RX-bytes:  ${c.rx_bytes ?? 0}`,
      `  RX-errors: ${c.rx_errors ?? 0}`,
      `  RX-nombuf:  ${c.rx_nombuf ?? 0}`,
      `  TX-packets: ${num(c.tx_packets)} TX-errors: ${num(c.tx_errors)} TX-bytes:  ${c.tx_bytes ?? 0}`,
      '  ############################################################################',
    ].join('\n');
  }).join('\n');
}

export function xstatsText(list: readonly { port: number; name: string; xstats: readonly Xstat[] }[]): string {
  return list.map((x) => [
    `###### NIC extended statistics for port ${x.port} (${x.name})`,
    ...x.xstats.map((s) => `${s.name}: ${s.value}`),
  ].join('\n')).join('\n');
}

export interface FwdPortStats {
  id: number;
  name: string;
  /** packets workers took from the port (fwd_in) */
  rx: number;
  /** packets workers handed to the port (fwd_out) */
  tx: number;
  /** drop_* counters of the port, by reason, zeros left out */
  drops: Record<string, number>;
  dropped: number;
}

export interface FwdStats { ports: FwdPortStats[]; total: { rx: number; tx: number; dropped: number } }

export function fwdStats(ports: readonly PortCounters[]): FwdStats {
  const out: FwdPortStats[] = ports.map((p) => {
    const drops: Record<string, number> = {};
    let dropped = 0;
    for (const [k, v] of Object.entries(p.counters)) {
      if (k.startsWith('drop_') && v > 0) {
        drops[k] = v;
        dropped += v;
      }
    }
    return { id: p.id, name: p.name, rx: p.counters.fwd_in ?? 0, tx: p.counters.fwd_out ?? 0, drops, dropped };
  });
  const total = out.reduce((t, p) => ({ rx: t.rx + p.rx, tx: t.tx + p.tx, dropped: t.dropped + p.dropped }), { rx: 0, tx: 0, dropped: 0 });
  return { ports: out, total };
}

export function fwdStatsText(s: FwdStats): string {
  const lines: string[] = [];
  for (const p of s.ports) {
    lines.push(`  ---------------------- Forward statistics for port ${p.id} (${p.name}) ----------------------`);
    lines.push(`  RX-packets: ${num(p.rx)} RX-dropped: ${num(p.dropped)} TX-packets: ${p.tx}`);
    for (const [k, v] of Object.entries(p.drops)) lines.push(`    ${k}: ${v}`);
  }
  lines.push('  +++++++++++++++ Accumulated forward statistics for all ports +++++++++++++++');
  lines.push(`  RX-packets: ${num(s.total.rx)} RX-dropped: ${num(s.total.dropped)} TX-packets: ${s.total.tx}`);
  lines.push('  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++');
  return lines.join('\n');
}

export interface LcoreRow {
  lcore: number;
  role: string;
  packets: number;
  polls: number;
  idleSleeps: number;
  /** busy cycles / total cycles, 0..1 */
  busyShare: number;
  /** busy cycles per packet received (0 before the first packet) */
  cyclesPerPacket: number;
}

export function lcoreRows(lcores: readonly LcoreStats[]): LcoreRow[] {
  return lcores.filter((l) => l.role !== 'unused').map((l) => ({
    lcore: l.lcoreId,
    role: l.role,
    packets: l.packets,
    polls: l.polls,
    idleSleeps: l.idleSleeps,
    busyShare: l.busyShare,
    cyclesPerPacket: l.packets > 0 ? Math.round(l.busyCycles / l.packets) : 0,
  }));
}

/** In the manner of VPP's `show runtime`. */
export function lcoresText(rows: readonly LcoreRow[]): string {
  const head = `${'lcore'.padEnd(6)}${'role'.padEnd(9)}${'packets'.padStart(16)}${'polls'.padStart(14)}${'sleeps'.padStart(12)}${'busy'.padStart(8)}${'cycles/pkt'.padStart(12)}`;
  return [head, ...rows.map((r) =>
    `${String(r.lcore).padEnd(6)}${r.role.padEnd(9)}${String(r.packets).padStart(16)}${String(r.polls).padStart(14)}` +
    `${String(r.idleSleeps).padStart(12)}${((r.busyShare * 100).toFixed(1) + '%').padStart(8)}${String(r.cyclesPerPacket).padStart(12)}`)].join('\n');
}
