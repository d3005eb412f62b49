// The shell's pure parts: the registry (parser, usage, completion), the pcapng writer, the
// result formats, the capture record parser, and the reload diff. No core needed.
import { expect } from 'chai';
import { COMMANDS } from '../../apps/shell/commands/index.js';
import { complete, parseLine, tokenize, splitCommands, usage, ShellSyntaxError, type ParseContext } from '../../apps/shell/registry.js';
import { pcapng } from '../../apps/shell/pcapng.js';
import { fwdStats, lcoreRows } from '../../apps/shell/format.js';
import { parseCaptureRecords } from '../../ffi/diag.js';
import { diffConfig, effectiveForward } from '../../apps/appliance/reload.js';
import type { ApplianceConfig } from '../../apps/appliance/config.js';

const two: ParseContext = { portCount: () => 2 };

function parseErr(line: string): ShellSyntaxError {
  try {
    parseLine(COMMANDS, tokenize(line), two);
  } catch (e) {
    if (e instanceof ShellSyntaxError) return e;
    throw e;
  }
  throw new Error(`'${line}' parsed`);
}

describe('shell registry', () => {
  it('generates each usage line from the syntax', () => {
    const u = COMMANDS.map(usage);
    expect(u).to.include.members([
      'show port info|stats|xstats all|<p>', 'clear port stats all|<p>', 'show fwd stats',
      'set fwd io|mac|stack|drop [all|<p>]', 'set peer <p> <peer>|none', 'start', 'stop', 'show config', 'set stats-period <seconds>',
      'show lcores', 'show lateness', 'show neigh', 'policy list', 'policy show <id>', 'policy destroy <id>', 'policy flush',
      'capture port <p> count <n> file <file>', 'load <file>', 'help [<command>...]', 'quit',
    ]);
    for (const c of COMMANDS) expect(c.help, usage(c)).to.be.a('string').and.not.empty;
  });

  it('parses arguments into typed values', () => {
    const a = parseLine(COMMANDS, tokenize('show port xstats 1'), two);
    expect(usage(a.cmd)).to.equal('show port info|stats|xstats all|<p>');
    expect(a.args).to.deep.equal({ what: 'xstats', p: 1 });
    expect(parseLine(COMMANDS, tokenize('  show   port info all # comment'), two).args).to.deep.equal({ what: 'info', p: 'all' });
    expect(parseLine(COMMANDS, tokenize('set fwd mac'), two).args).to.deep.equal({ mode: 'mac' });
    expect(parseLine(COMMANDS, tokenize('set stats-period 0.5'), two).args).to.deep.equal({ seconds: 0.5 });
    expect(parseLine(COMMANDS, tokenize('capture port 1 count 10 file /tmp/x.pcapng'), two).args)
      .to.deep.equal({ p: 1, n: 10, file: '/tmp/x.pcapng' });
    expect(parseLine(COMMANDS, tokenize('help show port'), two).args).to.deep.equal({ command: 'show port' });
  });

  it('names the bad token and gives the usage of the command meant', () => {
    const e = parseErr('show port stats 2');
    expect(e.message).to.equal("bad token '2' (word 4 of 'show port stats 2'): port 2 does not exist; ports are 0..1");
    expect(e.usages).to.deep.equal(['show port info|stats|xstats all|<p>']);
    expect(e.full).to.equal(`${e.message}\nusage: show port info|stats|xstats all|<p>`);
    expect(parseErr('capture port 0 count 0 file x').message).to.match(/<n> must be 1\.\.100000/);
    expect(parseErr('capture port 0 count 1.5 file x').message).to.match(/<n> must be a whole number/);
    expect(parseErr('set').usages).to.deep.equal(['set fwd io|mac|stack|drop [all|<p>]', 'set peer <p> <peer>|none', 'set stats-period <seconds>']);
    expect(parseErr('quit now').message).to.match(/bad token 'now'.*expected the end of the command/);
    expect(parseErr('xyzzy').message).to.match(/^unknown command 'xyzzy'; commands are show, clear, set, start, stop, policy, capture/);
  });

  it('completes every word from the same syntax', () => {
    expect(complete(COMMANDS, 'sh', two)).to.deep.equal([['show '], 'sh']);
    expect(complete(COMMANDS, 'show ', two)[0]).to.deep.equal(['config ', 'fwd ', 'lateness ', 'lcores ', 'neigh ', 'port ']);
    expect(complete(COMMANDS, 'policy ', two)[0]).to.deep.equal(['create ', 'destroy ', 'flush ', 'list ', 'show ']);
    expect(complete(COMMANDS, 'show port ', two)[0]).to.deep.equal(['info ', 'stats ', 'xstats ']);
    expect(complete(COMMANDS, 'show port stats ', two)[0]).to.deep.equal(['0 ', '1 ', 'all ']);
    expect(complete(COMMANDS, 'set fwd io ', two)[0]).to.deep.equal(['0 ', '1 ', 'all ']);
    expect(complete(COMMANDS, 'capture port ', two)[0]).to.deep.equal(['0 ', '1 ']);
    expect(complete(COMMANDS, 'capture port 1 c', two)).to.deep.equal([['count '], 'c']);
    expect(complete(COMMANDS, 'show bogus ', two)[0]).to.deep.equal([]);
  });

  it('splits -c text and scripts on ; and newlines, dropping comments', () => {
    expect(splitCommands('show config; stop ;\n# c\nstart')).to.deep.equal(['show config', 'stop', 'start']);
  });
});

/** Blocks of a pcapng file: [type, body]. */
function blocks(b: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let off = 0; off < b.length;) {
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    expect(len % 4, 'block length is a multiple of 4').to.equal(0);
    expect(b.readUInt32LE(off + len - 4), 'trailing length').to.equal(len);
    out.push([type, b.subarray(off + 8, off + len - 4)]);
    off += len;
  }
  return out;
}

describe('pcapng writer', () => {
  it('writes SHB, IDB, then one EPB per packet', () => {
    const pkt = Buffer.from('0102030405060708090a0b0c0d0e0f10111213', 'hex'); // 19 bytes: padded
    const ts = 1_700_000_000_123_456_789n;
    const f = pcapng([{ tsNs: ts, origLen: 60, data: pkt }, { tsNs: ts + 1n, origLen: 4, data: Buffer.from([1, 2, 3, 4]) }], { ifName: 'p0', snaplen: 9216 });
    const bl = blocks(f);
    expect(bl.map(([t]) => t)).to.deep.equal([0x0a0d0d0a, 1, 6, 6]);
    const shb = bl[0]![1];
    expect(shb.readUInt32LE(0)).to.equal(0x1a2b3c4d);
    expect([shb.readUInt16LE(4), shb.readUInt16LE(6)]).to.deep.equal([1, 0]);
    const idb = bl[1]![1];
    expect(idb.readUInt16LE(0)).to.equal(1); // LINKTYPE_ETHERNET
    expect(idb.readUInt32LE(4)).to.equal(9216);
    expect(idb.includes(Buffer.from('p0'))).to.equal(true);
    const epb = bl[2]![1];
    expect(epb.readUInt32LE(0)).to.equal(0);
    expect((BigInt(epb.readUInt32LE(4)) << 32n) | BigInt(epb.readUInt32LE(8))).to.equal(ts);
    expect([epb.readUInt32LE(12), epb.readUInt32LE(16)]).to.deep.equal([19, 60]);
    expect(epb.subarray(20, 39)).to.deep.equal(pkt);
  });
});

describe('capture records and result formats', () => {
  it('parseCaptureRecords splits the core\'s record stream (8-byte aligned records)', () => {
    const rec = (ts: bigint, orig: number, data: number[]): Buffer => {
      const b = Buffer.alloc(Math.ceil((16 + data.length) / 8) * 8);
      b.writeBigUInt64LE(ts, 0);
      b.writeUInt32LE(orig, 8);
      b.writeUInt32LE(data.length, 12);
      Buffer.from(data).copy(b, 16);
      return b;
    };
    const stream = Buffer.concat([rec(5n, 100, [1, 2, 3]), rec(6n, 8, [9, 9, 9, 9, 9, 9, 9, 9])]);
    const p = parseCaptureRecords(stream);
    expect(p.map((x) => [x.tsNs, x.origLen, [...x.data]])).to.deep.equal([[5n, 100, [1, 2, 3]], [6n, 8, [9, 9, 9, 9, 9, 9, 9, 9]]]);
    expect(parseCaptureRecords(stream.subarray(0, stream.length - 1))).to.have.length(1); // a torn record is left out
  });

  it('fwdStats sums the drops of each port by reason', () => {
    const s = fwdStats([
      { id: 0, name: 'p0', counters: { fwd_in: 10, fwd_out: 7, drop_tx_full: 2, drop_stopped: 1, rx_packets: 10 } },
      { id: 1, name: 'p1', counters: { fwd_in: 5, fwd_out: 5, drop_tx_full: 0 } },
    ]);
    expect(s.ports[0]).to.deep.equal({ id: 0, name: 'p0', rx: 10, tx: 7, drops: { drop_tx_full: 2, drop_stopped: 1 }, dropped: 3 });
    expect(s.total).to.deep.equal({ rx: 15, tx: 12, dropped: 3 });
  });

  it('lcoreRows gives cycles per packet and leaves unused lcores out', () => {
    const rows = lcoreRows([
      { lcoreId: 0, role: 'control', busyCycles: 0, totalCycles: 100, busyShare: 0, packets: 0, polls: 9, idleSleeps: 3 },
      { lcoreId: 1, role: 'worker', busyCycles: 5000, totalCycles: 10000, busyShare: 0.5, packets: 100, polls: 7, idleSleeps: 0 },
      { lcoreId: 2, role: 'unused', busyCycles: 0, totalCycles: 0, busyShare: 0, packets: 0, polls: 0, idleSleeps: 0 },
    ]);
    expect(rows.map((r) => [r.lcore, r.role, r.cyclesPerPacket, r.busyShare])).to.deep.equal([[0, 'control', 0, 0], [1, 'worker', 50, 0.5]]);
  });
});

describe('reload diff', () => {
  const base: ApplianceConfig = {
    name: 'x', lcores: 1,
    ports: [{ name: 'a', dev: 'net_null0' }, { name: 'b', dev: 'net_null1' }, { name: 'c', dev: 'net_null2' }],
  };

  it('resolves the core\'s default pairing and next-hop MACs', () => {
    expect(effectiveForward(base).map((f) => [f.mode, f.peer, f.peerMac])).to.deep.equal([
      ['io', 1, '02:00:00:00:00:01'], ['io', 0, '02:00:00:00:00:00'], ['io', 2, '02:00:00:00:00:02']]);
  });

  it('an equal configuration is no change', () => {
    expect(diffConfig(base, JSON.parse(JSON.stringify(base)) as ApplianceConfig)).to.deep.equal({ refused: [], forward: [], policiesChanged: false });
  });

  it('lists only the ports whose forwarding changed', () => {
    const next: ApplianceConfig = { ...base, ports: [base.ports[0]!, { ...base.ports[1]!, forward: 'mac', peerMac: '02:AA:00:00:00:01' }, { ...base.ports[2]!, peer: 'c' }] };
    const d = diffConfig(base, next);
    expect(d.refused).to.deep.equal([]);
    expect(d.forward.map((f) => [f.name, f.mode, f.peer, f.peerMac])).to.deep.equal([['b', 'mac', 0, '02:aa:00:00:00:01']]);
    // a top-level forward default reaches every port without its own
    expect(diffConfig(base, { ...base, forward: 'drop' }).forward.map((f) => f.name)).to.deep.equal(['a', 'b', 'c']);
  });

  it('a peer set to null is a forward change to no peer (FWD_SET with MF_PORT_NONE)', () => {
    const next: ApplianceConfig = { ...base, ports: [{ ...base.ports[0]!, peer: null }, base.ports[1]!, base.ports[2]!] };
    expect(diffConfig(base, next).forward.map((f) => [f.name, f.peer, f.peerMac])).to.deep.equal([['a', null, '02:00:00:00:00:ff']]);
  });

  it('refuses what needs a restart, naming every field', () => {
    const d = diffConfig(base, { ...base, lcores: 2, ports: [base.ports[0]!, { ...base.ports[1]!, dev: 'net_null7', netns: 'n' }, base.ports[2]!] });
    expect(d.refused).to.deep.equal([
      'lcores: 1 -> 2 needs a restart of the core (stop and start)',
      'ports[1].dev: "net_null1" -> "net_null7" needs a restart of the core (stop and start)',
      'ports[1].netns: (unset) -> "n" needs a restart of the core (stop and start)',
    ]);
    expect(diffConfig(base, { ...base, ports: base.ports.slice(0, 2) }).refused[0]).to.match(/ports: 3 -> 2 ports; adding or removing a port needs a restart/);
    expect(diffConfig(base, { ...base, policies: [{ id: 1 }] }).policiesChanged).to.equal(true);
  });
});
