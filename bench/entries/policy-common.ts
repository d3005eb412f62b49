// What the policy benchmarks share: an endless stream of one UDP datagram (net_pcap replaying a
// one-frame capture with infinite_rx), fed identically to manifold-core and to dpdk-testpmd,
// and a sink that receives nothing (net_null with no-rx) so only the measured direction runs.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Destination, Policy } from '../../ffi/index.js';
import { pcapFile, udpFrame as frame } from '../../apps/peers/udp-frames.js';

/** Ethernet/IPv4/UDP 198.18.70.2:4000 -> 198.18.70.1:5000 with `payload` bytes, checksums right. */
export const udpFrame = (payload: number): Buffer => frame('198.18.70.1', 5000, payload, '198.18.70.2', 0x5a);

/** A pcap file of that one frame; returns its path. */
export function streamPcap(payload: number): string {
  const file = join(tmpdir(), `mf-bench-policy-${process.pid}-${payload}.pcap`);
  writeFileSync(file, pcapFile([udpFrame(payload)]));
  return file;
}

export const streamDev = (pcap: string, n = 0): string => `net_pcap${n},rx_pcap=${pcap},infinite_rx=1`;
export const sinkDev = (n = 0): string => `net_null${n},no-rx=1`;

export const SERVICE = { protocol: 'udp' as const, dst: '198.18.70.1', dstPort: 5000 };

export function destinations(n: number, port = 'out'): Destination[] {
  return Array.from({ length: n }, (_, i) => ({
    port, ip: `198.18.${72 + (i >> 8)}.${(i & 255) % 254 + 1}`, udpPort: 7000 + i,
    mac: '02:00:00:00:72:01', srcIp: '198.18.71.1',
  }));
}

export const replicate = (id: string, n: number): Policy => ({
  id, match: SERVICE, actions: [{ type: 'replicate', destinations: destinations(n) }],
});

export const redirect = (id: string, udpPort = 6000): Policy => ({
  id, match: SERVICE,
  actions: [{ type: 'redirect', destination: { port: 'out', ip: '198.18.71.2', udpPort, mac: '02:00:00:00:71:02', srcIp: '198.18.71.1' } }],
});

/** The core config the policy benches share: one worker, the stream in, the sink out. */
export function coreConfig(name: string, pcap: string): object {
  return {
    name, lcores: '0-1', hugepages: 'off', memoryMb: 512, forward: 'drop', backoff: false,
    ports: [{ name: 'in', dev: streamDev(pcap) }, { name: 'out', dev: sinkDev() }],
  };
}
