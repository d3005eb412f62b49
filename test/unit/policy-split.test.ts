// The split action's JSON checks and wire form, and the receivers' decoders
// (apps/policy/decoders.ts) on datagrams cut the way the core cuts them.
import { expect } from 'chai';
import {
  FramedDecoder,
  SplitDatagramDecoder,
  SplitDecodeError,
  encodeFramed,
  policyProblems,
  splitFromWire,
  splitWire,
  type SplitAction,
} from '../../apps/policy/index.js';

const redirect = { type: 'redirect', destination: { port: 1, ip: '198.18.1.2', udpPort: 5000 } };
const policy = (split: Record<string, unknown>, rest: unknown[] = [redirect]): unknown => ({
  id: 's', match: { protocol: 'udp', dst: '198.18.0.1', dstPort: 4000 }, actions: [{ type: 'split', ...split }, ...rest],
});

/** Cuts `msg` like the core's datagram mode with header. */
function cutDatagram(id: number, msg: Buffer, maxPayload: number): Buffer[] {
  const chunk = maxPayload - 8;
  const count = Math.max(1, Math.ceil(msg.length / chunk));
  return Array.from({ length: count }, (_, i) => {
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id, 0);
    h.writeUInt16BE(i, 4);
    h.writeUInt16BE(count, 6);
    return Buffer.concat([h, msg.subarray(i * chunk, (i + 1) * chunk)]);
  });
}

describe('split: validation and wire form', () => {
  it('accepts the documented forms', () => {
    expect(policyProblems(policy({ mode: 'datagram', maxPayload: 1200 }))).to.deep.equal([]);
    expect(policyProblems(policy({ mode: 'datagram', maxPayload: 1200, header: true }))).to.deep.equal([]);
    expect(policyProblems(policy({ mode: 'framed', maxPayload: 1400, prefix: 'u32', oversize: 'drop' }))).to.deep.equal([]);
  });

  it('names every wrong field', () => {
    const p = policyProblems(policy({ mode: 'gso', maxPayload: 8, header: 'yes', prefix: 'u8' }, []));
    expect(p.join('\n')).to.match(/actions\[0\]\.mode: must be "ipfrag", "datagram" or "framed"/)
      .and.match(/actions\[0\]\.maxPayload: must be an integer 16\.\.65507/)
      .and.match(/actions\[0\]\.header: must be true or false/)
      .and.match(/actions\[0\]\.prefix: must be "u16" or "u32"/)
      .and.match(/a redirect or replicate must follow it/);
    expect(policyProblems(policy({ mode: 'ipfrag', mtu: 576 }))).to.deep.equal([]);
    expect(policyProblems(policy({ mode: 'ipfrag', mtu: 500 })).join()).to.match(/actions\[0\]\.mtu: ipfrag needs an integer MTU 576\.\.65535/);
    expect(policyProblems(policy({ mode: 'ipfrag', maxPayload: 576 })).join()).to.match(/ipfrag takes "mtu", not maxPayload/);
    expect(policyProblems(policy({ mode: 'datagram', mtu: 576 })).join()).to.match(/only mode "ipfrag" takes an MTU/);
    expect(policyProblems(policy({ mode: 'framed', maxPayload: 500, header: true })).join()).to.match(/only mode "datagram" takes a header/);
  });

  it('round-trips through flags and param', () => {
    const forms: SplitAction[] = [
      { type: 'split', mode: 'ipfrag', mtu: 1280 },
      { type: 'split', mode: 'datagram', maxPayload: 1200 },
      { type: 'split', mode: 'datagram', maxPayload: 65507, header: true },
      { type: 'split', mode: 'framed', maxPayload: 300, prefix: 'u32', oversize: 'drop' },
      { type: 'split', mode: 'framed', maxPayload: 16, prefix: 'u16', oversize: 'fragment' },
    ];
    for (const f of forms) {
      const w = splitWire(f);
      expect(splitFromWire(w.flags, w.param)).to.deep.equal(f);
    }
    expect(splitWire(forms[2]!)).to.deep.equal({ flags: 0x06, param: 65507 });
    expect(splitWire(forms[0]!)).to.deep.equal({ flags: 0x01, param: 1280 });
  });
});

describe('split: decoders', () => {
  it('SplitDatagramDecoder joins pieces in any order and interleaved messages', () => {
    const a = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 255));
    const b = Buffer.alloc(3000, 7);
    const pa = cutDatagram(1, a, 1200);
    const pb = cutDatagram(2, b, 1200);
    const d = new SplitDatagramDecoder();
    const got: Buffer[] = [];
    for (const x of [pa[4]!, pb[0]!, pa[0]!, pa[2]!, pa[2]!, pb[2]!, pa[1]!, pb[1]!, pa[3]!]) {
      const m = d.push(x);
      if (m) got.push(m);
    }
    expect(got).to.have.length(2);
    expect(got[0]!.equals(b)).to.equal(true);
    expect(got[1]!.equals(a)).to.equal(true);
    expect(d.pending).to.equal(0);
    expect(() => d.push(Buffer.alloc(4))).to.throw(SplitDecodeError, /shorter than the 8-byte/);
  });

  it('SplitDatagramDecoder gives up on messages whose pieces never come', () => {
    const d = new SplitDatagramDecoder(2, 1000);
    d.push(cutDatagram(1, Buffer.alloc(3000), 1200)[0]!, 0);
    d.push(cutDatagram(2, Buffer.alloc(3000), 1200)[0]!, 0);
    d.push(cutDatagram(3, Buffer.alloc(3000), 1200)[0]!, 2000);
    expect(d.expired).to.equal(2);
    expect(d.pending).to.equal(1);
  });

  it('FramedDecoder restores whole messages and joins an oversize one cut across datagrams', () => {
    const msgs = [Buffer.alloc(10, 1), Buffer.alloc(300, 2), Buffer.alloc(0), Buffer.alloc(50, 3)];
    const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 255));
    const dec = new FramedDecoder('u32');
    const first = encodeFramed(msgs.slice(0, 2), 'u32');
    const bigEnc = encodeFramed([big], 'u32');
    const out = [
      ...dec.push(first),
      ...dec.push(bigEnc.subarray(0, 400)),
      ...dec.push(bigEnc.subarray(400, 800)),
    ];
    expect(dec.joining).to.equal(true);
    out.push(...dec.push(bigEnc.subarray(800)));
    out.push(...dec.push(encodeFramed(msgs.slice(2), 'u32')));
    expect(out.map((b) => b.toString('hex'))).to.deep.equal([msgs[0]!, msgs[1]!, big, msgs[2]!, msgs[3]!].map((b) => b.toString('hex')));
    expect(() => new FramedDecoder('u16').push(Buffer.from([0, 2, 1, 2, 0, 9, 1]))).to.throw(SplitDecodeError);
  });
});
