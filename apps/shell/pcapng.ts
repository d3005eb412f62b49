// A small pcapng writer (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html):
// one Section Header Block, one Interface Description Block (Ethernet, nanosecond timestamps),
// then one Enhanced Packet Block per packet. Little-endian, as the byte-order magic says.

export const LINKTYPE_ETHERNET = 1;

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

export interface PcapngPacket {
  /** timestamp, ns since the epoch */
  tsNs: bigint;
  /** length on the wire */
  origLen: number;
  /** the bytes captured */
  data: Uint8Array;
}

export interface PcapngOptions {
  /** interface name recorded in the IDB, e.g. "p0" */
  ifName?: string;
  /** snap length recorded in the IDB (0: none) */
  snaplen?: number;
  linktype?: number;
  /** recorded as shb_userappl */
  application?: string;
}

const pad4 = (n: number): number => (n + 3) & ~3;

function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function endOfOptions(): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(OPT_ENDOFOPT, 0);
  return b;
}

/** type, total length, body, total length again. */
function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

/** The whole file as one buffer. */
export function pcapng(packets: readonly PcapngPacket[], opts: PcapngOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  shb.writeUInt16LE(1, 4); // major
  shb.writeUInt16LE(0, 6); // minor
  shb.writeBigInt64LE(-1n, 8); // section length unknown
  parts.push(block(SHB, Buffer.concat([shb, option(SHB_USERAPPL, Buffer.from(opts.application ?? 'manifold')), endOfOptions()])));

  const idb = Buffer.alloc(8);
  idb.writeUInt16LE(opts.linktype ?? LINKTYPE_ETHERNET, 0);
  idb.writeUInt32LE(opts.snaplen ?? 0, 4);
  const idbOpts = [option(IF_TSRESOL, Buffer.from([9]))]; // 10^-9 s
  if (opts.ifName) idbOpts.unshift(option(IF_NAME, Buffer.from(opts.ifName)));
  parts.push(block(IDB, Buffer.concat([idb, ...idbOpts, endOfOptions()])));

  // Enhanced Packet Blocks, written in place into one buffer (a capture holds ~50k packets).
  let size = 0;
  for (const p of packets) size += 32 + pad4(p.data.length);
  const epbs = Buffer.alloc(size);
  let off = 0;
  for (const p of packets) {
    const total = 32 + pad4(p.data.length);
    epbs.writeUInt32LE(EPB, off);
    epbs.writeUInt32LE(total, off + 4);
    epbs.writeUInt32LE(0, off + 8); // interface 0
    epbs.writeUInt32LE(Number(p.tsNs >> 32n) >>> 0, off + 12);
    epbs.writeUInt32LE(Number(p.tsNs & 0xffffffffn) >>> 0, off + 16);
    epbs.writeUInt32LE(p.data.length, off + 20);
    epbs.writeUInt32LE(p.origLen, off + 24);
    epbs.set(p.data, off + 28); // padding stays zero
    epbs.writeUInt32LE(total, off + total - 4);
    off += total;
  }
  parts.push(epbs);
  return Buffer.concat(parts);
}
