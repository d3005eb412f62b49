// The binary form of a policy (include/manifold_abi_policy.h) as ffi/policies.ts writes and
// reads it, and the constants it shares with the core, checked against libmanifold_ctl.
import { expect } from 'chai';
import { cEnum } from '../support/c-enum.js';
import { ARENA_SLOT_SIZE } from '../../ffi/structs.js';
import {
  DEST_SLOT_DESTS,
  POLICY_SLOT_DESTS,
  PolicyOp,
  OP_POLICY_END,
  OP_POLICY_FIRST,
  decodePolicy,
  encodePolicy,
} from '../../ffi/policies.js';
import { ACTION_TYPES, DROP_REASONS, type Destination, type Policy } from '../../apps/policy/index.js';

const ports = [{ name: 'p0', id: 0 }, { name: 'p1', id: 1 }, { name: 'p2', id: 2 }];
const dest = (i: number): Destination => ({ port: i % 2 ? 'p2' : 'p1', ip: `198.18.${1 + (i >> 8)}.${i & 255}`, udpPort: 7000 + (i % 3), mac: '02:00:00:00:00:01', srcIp: '198.18.1.1' });

describe('policy binary form', () => {
  it('op numbers, action types, drop reasons and slot sizes agree with the C header', () => {
    const c = cEnum('mf_op_policy');
    for (const [k, v] of Object.entries(PolicyOp)) expect(c.get(`MF_OP_${k}`), k).to.equal(v);
    expect(c.get('MF_OP_POLICY_END')).to.equal(OP_POLICY_END);
    expect(PolicyOp.POLICY_ADD).to.equal(OP_POLICY_FIRST);
    ACTION_TYPES.forEach((t, i) => expect(c.get(`MF_ACTION_${t.toUpperCase()}`), t).to.equal(i + 1));
    expect(c.get('MF_ACTION_MAX')).to.equal(ACTION_TYPES.length + 1);
    expect(c.get('MF_POLICY_SLOT_DESTS')).to.equal(POLICY_SLOT_DESTS);
    const drops = cEnum('mf_policy_drop');
    expect([...drops.keys()]).to.deep.equal([...DROP_REASONS]);
    expect([...drops.values()]).to.deep.equal(DROP_REASONS.map((_, i) => i));
    expect(DEST_SLOT_DESTS).to.equal(Math.floor(ARENA_SLOT_SIZE / 24));
  });

  it('encodes the header, the match and the destinations where the structs say', () => {
    const p: Policy = {
      id: 'to-backend', priority: -5, lifetime: 'client',
      match: { inPort: 'p0', protocol: 'udp', src: '198.18.9.0/24', srcPort: 4000, dst: '198.18.0.1', dstPort: 5000 },
      actions: [{ type: 'redirect', destination: { port: 'p1', ip: '198.18.1.2', udpPort: 6000, mac: '02:00:00:00:01:02', srcIp: '198.18.1.1', srcPort: 4444 } }],
    };
    const e = encodePolicy(p, ports);
    expect(e.rest).to.deep.equal([]);
    const b = e.first;
    expect(b.length).to.equal(192 + 24);
    expect(b.toString('latin1', 0, 10)).to.equal('to-backend');
    expect(b.readInt32LE(32)).to.equal(-5);
    expect(b.readUInt8(36)).to.equal(1); // lifetime client
    expect(b.readUInt8(37)).to.equal(1); // one action
    expect(b.readUInt32LE(40)).to.equal(0xc6120900); // src
    expect(b.readUInt32LE(44)).to.equal(0xc6120001); // dst
    expect(b.readUInt16LE(48)).to.equal(4000);
    expect(b.readUInt16LE(50)).to.equal(5000);
    expect(b.readUInt16LE(52)).to.equal(0); // in port p0
    expect([b.readUInt8(54), b.readUInt8(55), b.readUInt8(56)]).to.deep.equal([24, 32, 17]);
    expect(b.readUInt32LE(60)).to.equal(1); // n_dests
    expect([b.readUInt8(64), b.readUInt32LE(68)]).to.deep.equal([1, 1]); // redirect, 1 dest
    const d = 192;
    expect(b.readUInt32LE(d)).to.equal(0xc6120102);
    expect(b.readUInt32LE(d + 4)).to.equal(0xc6120101);
    expect([b.readUInt16LE(d + 8), b.readUInt16LE(d + 10), b.readUInt16LE(d + 12), b.readUInt8(d + 14)]).to.deep.equal([1, 6000, 4444, 1]);
    expect([...b.subarray(d + 16, d + 22)]).to.deep.equal([2, 0, 0, 0, 1, 2]);
    expect(decodePolicy(b.subarray(0, 192), b.subarray(192), ports)).to.deep.equal({ ...p, match: { ...p.match } });
  });

  it('names an unknown port by its field', () => {
    const p: Policy = { id: 'x', match: { protocol: 'udp' }, actions: [{ type: 'replicate', destinations: [dest(0), { ...dest(1), port: 'p9' }] }] };
    expect(() => encodePolicy(p, ports)).to.throw(/actions\[0\]\.destinations\[1\]\.port: no port is named "p9"; ports are p0, p1, p2/);
  });

  it('a policy larger than one slot is staged: first part, then DEST_ADD chunks, in order', () => {
    const dests = Array.from({ length: 1024 }, (_, i) => dest(i));
    const p: Policy = { id: 'big', match: { protocol: 'udp' }, actions: [{ type: 'replicate', destinations: dests }] };
    const e = encodePolicy(p, ports);
    expect(e.first.readUInt8(38)).to.equal(1); // staged
    expect(e.first.readUInt32LE(60)).to.equal(POLICY_SLOT_DESTS);
    expect(e.first.length).to.be.at.most(ARENA_SLOT_SIZE);
    expect(e.rest.map((r) => r.count)).to.deep.equal([1024 - POLICY_SLOT_DESTS]);
    expect(e.rest[0]!.dests.length).to.be.at.most(ARENA_SLOT_SIZE);
    const all = Buffer.concat([e.first.subarray(192), e.rest[0]!.dests]);
    const hdr = Buffer.from(e.first.subarray(0, 192));
    hdr.writeUInt32LE(1024, 64 + 4);
    const back = decodePolicy(hdr, all, ports);
    expect((back.actions[0] as { destinations: Destination[] }).destinations).to.deep.equal(dests);
  });

  it('a small policy is not staged', () => {
    const e = encodePolicy({ id: 's', match: { protocol: 'udp' }, actions: [{ type: 'replicate', destinations: [dest(1)] }, { type: 'drop' }] }, ports);
    expect(e.first.readUInt8(38)).to.equal(0);
    expect([e.first.readUInt8(64), e.first.readUInt8(80)]).to.deep.equal([2, 4]);
  });
});
