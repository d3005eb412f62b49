// The stack's part of the appliance configuration: per-port addresses (one or a list of CIDRs)
// and a gateway, checked with clear messages and passed to the core as --addr / --gateway; and
// the address helpers of ffi/stack.ts.
import { expect } from 'chai';
import { ConfigError, validateConfig } from '../../apps/appliance/config.js';
import { coreArgs } from '../../apps/appliance/core-args.js';
import { formatIpv4, parseIpv4, parseUdpBatch } from '../../ffi/stack.js';

function problems(value: unknown): string[] {
  try {
    validateConfig(value);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('stack configuration', () => {
  it('passes each address and the gateway of a port to the core', () => {
    const cfg = validateConfig({
      ports: [
        { name: 'p0', dev: 'net_null0', ip: ['198.18.0.1/24', '198.18.1.1/24'], gateway: '198.18.0.254', forward: 'stack' },
        { name: 'p1', dev: 'net_null1', ip: '198.19.0.1/16' },
      ],
    });
    const args = coreArgs(cfg, 'x');
    const pairs: string[] = [];
    for (let i = 0; i < args.length; i++) if (args[i] === '--addr' || args[i] === '--gateway') pairs.push(`${args[i]} ${args[i + 1]}`);
    expect(pairs).to.deep.equal(['--addr p0=198.18.0.1/24', '--addr p0=198.18.1.1/24', '--gateway p0=198.18.0.254',
      '--addr p1=198.19.0.1/16']);
  });

  it('names what is wrong with an address or a gateway', () => {
    expect(problems({ ports: [{ name: 'p0', dev: 'net_null0', ip: '198.18.0.1' }] })[0]).to.match(/ports\[0\]\.ip: must be an IPv4 address with prefix/);
    expect(problems({ ports: [{ name: 'p0', dev: 'net_null0', ip: [] }] })[0]).to.match(/a list of 1 to 8/);
    expect(problems({ ports: [{ name: 'p0', dev: 'net_null0', ip: ['198.18.0.1/24', 7] }] })[0]).to.match(/ports\[0\]\.ip/);
    expect(problems({ ports: [{ name: 'p0', dev: 'net_null0', gateway: '198.18.0.254/24' }] })[0]).to.match(/ports\[0\]\.gateway: must be an IPv4 address without prefix/);
    expect(problems({ ports: [{ name: 'p0', dev: 'net_null0', gateway: '300.1.1.1' }] })[0]).to.match(/gateway/);
  });
});

describe('ffi/stack.ts helpers', () => {
  it('parses and formats IPv4 addresses in host order', () => {
    expect(parseIpv4('198.18.0.1')).to.equal(0xc6120001);
    expect(parseIpv4('255.255.255.255')).to.equal(0xffffffff);
    expect(parseIpv4('256.0.0.1')).to.equal(undefined);
    expect(parseIpv4('1.2.3')).to.equal(undefined);
    expect(formatIpv4(0xc6120001)).to.equal('198.18.0.1');
  });

  it('decodes a UDP_RECV batch: records padded to 4 bytes', () => {
    const buf = Buffer.alloc(8 + 16 + 8 + 16 + 4);
    buf.writeUInt32LE(2, 0);
    buf.writeUInt32LE(5, 4);
    let off = 8;
    for (const [len, fill] of [[5, 0x61], [4, 0x62]] as const) {
      buf.writeUInt32LE(0xc6120002, off);
      buf.writeUInt32LE(0xc6120001, off + 4);
      buf.writeUInt16LE(4000, off + 8);
      buf.writeUInt16LE(9000, off + 10);
      buf.writeUInt32LE(len, off + 12);
      buf.fill(fill, off + 16, off + 16 + len);
      off += 16 + ((len + 3) & ~3);
    }
    const { datagrams, pending } = parseUdpBatch(buf);
    expect(pending).to.equal(5);
    expect(datagrams.map((d) => d.data.toString())).to.deep.equal(['aaaaa', 'bbbb']);
    expect(datagrams[0]!.from).to.deep.equal({ ip: '198.18.0.2', port: 4000 });
    expect(datagrams[1]!.to).to.deep.equal({ ip: '198.18.0.1', port: 9000 });
  });
});
