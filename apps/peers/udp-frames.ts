// Ethernet/IPv4/UDP frames and a pcap file of them, for a net_pcap port that replays them
// endlessly (infinite_rx=1): a steady stream into the core with no kernel and no peer.
function cksum(b: Buffer, init = 0): number {
  let s = init;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length & 1) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** One frame src:4000 -> dst:dport with `len` bytes of payload (filled with `fill`),
 * checksums right. */
export function udpFrame(dst: string, dport: number, len: number, src = '198.18.30.2', fill = 0xab): Buffer {
  const payload = Buffer.alloc(len, fill);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(4000, 0);
  udp.writeUInt16BE(dport, 2);
  udp.writeUInt16BE(8 + len, 4);
  const ip = Buffer.from([0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0, ...src.split('.').map(Number), ...dst.split('.').map(Number)]);
  ip.writeUInt16BE(20 + 8 + len, 2);
  ip.writeUInt16BE(~cksum(ip) & 0xffff, 10);
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 17]), udp.subarray(4, 6)]);
  const c = ~cksum(Buffer.concat([udp, payload]), cksum(pseudo)) & 0xffff;
  udp.writeUInt16BE(c === 0 ? 0xffff : c, 6);
  const eth = Buffer.from([2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 8, 0]);
  return Buffer.concat([eth, ip, udp, payload]);
}

/** A classic pcap file (Ethernet) holding `frames`. */
export function pcapFile(frames: readonly Buffer[]): Buffer {
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  const recs = frames.map((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  return Buffer.concat([hdr, ...recs]);
}
