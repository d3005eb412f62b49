// What the policy benchmarks share: an endless stream of one UDP datagram (net_pcap replaying a
// one-frame capture with infinite_rx), fed identically to manifold-core and to dpdk-testpmd,
// and a sink that receives nothing (net_null with no-rx) so only the measured direction runs.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Destination, Policy } from '../../ffi/index.js';

function cksum(b: Buffer, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Ethernet/IPv4/UDP 198.18.70.2:4000 -> 198.18.70.1:5000 with `payload` bytes, checksums right. */
export function udpFrame(payload: number): Buffer {
  const data = Buffer.alloc(payload, 0x5a);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(4000, 0);
  udp.writeUInt16BE(5000, 2);
  udp.writeUInt16BE(8 + payload, 4);
  const ip = Buffer.from([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, 198, 18, 70, 2, 198, 18, 70, 1]);
  ip.writeUInt16BE(28 + payload, 2);
  ip.writeUInt16BE(~cksum(ip) & 0xffff, 10);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
  const c = ~cksum(Buffer.concat([udp, data]), cksum(pseudo)) & 0xffff;
  udp.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  return Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 8, 0]), ip, udp, data]);
}

/** A pcap file of that one frame; returns its path. */
export function streamPcap(payload: number): string {
  const file = join(tmpdir(), `mf-bench-policy-${process.pid}-${payload}.pcap`);
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  const f = udpFrame(payload);
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(f.length, 8);
  rec.writeUInt32LE(f.length, 12);
  writeFileSync(file, Buffer.concat([hdr, rec, f]));
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
