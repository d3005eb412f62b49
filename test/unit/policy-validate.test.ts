// The policy validator: every problem reported at once, each naming the field the way the JSON
// form does, saying what is wrong and what would be right.
import { expect } from 'chai';
import { PolicyError, policyProblems, validatePolicy, parsePrefix, parseIpv4, formatIpv4 } from '../../apps/policy/index.js';

const dest = { port: 'p1', ip: '198.18.1.2', udpPort: 7000 };
const base = {
  id: 'fan',
  match: { protocol: 'udp', dst: '198.18.0.1', dstPort: 5000 },
  actions: [{ type: 'replicate', destinations: [dest] }],
};

function problems(patch: object): string[] {
  return policyProblems({ ...base, ...patch });
}

describe('policy validator', () => {
  it('accepts a minimal policy of each action', () => {
    expect(policyProblems(base)).to.deep.equal([]);
    expect(problems({ actions: [{ type: 'redirect', destination: dest }] })).to.deep.equal([]);
    expect(problems({ actions: [{ type: 'drop' }], match: undefined })).to.deep.equal([]);
    expect(problems({ actions: [{ type: 'replicate', destinations: [] }, { type: 'drop' }] })).to.deep.equal([]);
  });

  it('names the destination field that is wrong: actions[0].destinations[2].ip', () => {
    const p = problems({ actions: [{ type: 'replicate', destinations: [dest, { ...dest, udpPort: 7001 }, { ...dest, ip: '198.18.1' }] }] });
    expect(p).to.have.length(1);
    expect(p[0]).to.match(/^actions\[0\]\.destinations\[2\]\.ip: must be an IPv4 address like "198\.18\.1\.2", not "198\.18\.1"/);
  });

  it('reports every problem at once', () => {
    const p = policyProblems({ id: 'bad id!', priority: 1.5, lifetime: 'forever', actions: [] });
    expect(p.some((x) => x.startsWith('id: '))).to.equal(true);
    expect(p.some((x) => x.startsWith('priority: '))).to.equal(true);
    expect(p.some((x) => x.startsWith('lifetime: must be "persistent" or "client"'))).to.equal(true);
    expect(p.some((x) => x.startsWith('actions: must be a list of 1..8'))).to.equal(true);
  });

  it('lists the known actions for an unknown one', () => {
    expect(problems({ actions: [{ type: 'mirror' }] })).to.deep.equal([
      'actions[0].type: "mirror" is not an action; actions are redirect, replicate, deliver, drop, split, aggregate',
    ]);
  });

  it('a terminal action must end the chain', () => {
    expect(problems({ actions: [{ type: 'drop' }, { type: 'replicate', destinations: [] }] })[0])
      .to.equal('actions[0]: drop ends the chain, so it must be the last action; 1 more follow it');
  });

  it('a rewrite needs protocol udp', () => {
    expect(problems({ match: { dst: '198.18.0.1' } })).to.deep.equal([
      'match.protocol: actions[0] (replicate) rewrites UDP headers, so the match must say "protocol": "udp"',
    ]);
    expect(problems({ match: { protocol: 'icmp', dstPort: 5 } })).to.include('match.dstPort: a port needs "protocol": "udp" or "tcp"');
  });

  it('checks destination fields: port, udpPort, mac, srcIp, srcPort, unknown keys', () => {
    const p = problems({ actions: [{ type: 'redirect', destination: { port: {}, ip: '0.0.0.0', udpPort: 0, mac: '02:00', srcIp: 'x', srcPort: 70000, ttl: 3 } }] });
    for (const f of ['port', 'ip', 'udpPort', 'mac', 'srcIp', 'srcPort', 'ttl']) {
      expect(p.some((x) => x.startsWith(`actions[0].destination.${f}: `)), `${f}: ${p.join('\n')}`).to.equal(true);
    }
    expect(problems({ actions: [{ type: 'redirect' }] })).to.deep.equal(['actions[0].destination: is required: where the packet goes']);
  });

  it('refuses a destination listed twice in one replicate', () => {
    expect(problems({ actions: [{ type: 'replicate', destinations: [dest, { ...dest, mac: '02:00:00:00:00:09' }] }] })).to.deep.equal([
      'actions[0].destinations[1]: the same port, ip and udpPort as destinations[0]; list a destination once',
    ]);
  });

  it('checks match fields', () => {
    const p = policyProblems({ ...base, match: { protocol: 'sctp', src: '10.0.0.0/33', dst: 'x', dstPort: 0, inPort: -1, vlan: 3 } });
    for (const f of ['protocol', 'src', 'dst', 'dstPort', 'inPort', 'vlan']) {
      expect(p.some((x) => x.startsWith(`match.${f}: `)), `${f}: ${p.join('\n')}`).to.equal(true);
    }
  });

  it('validatePolicy throws a PolicyError listing the problems, prefixed where asked', () => {
    expect(() => validatePolicy({ id: 'x' }, 'x.json')).to.throw(PolicyError, /x\.json is not valid:\n {2}- actions: /);
    expect(policyProblems({ id: 'x' }, 'policies[3].')).to.deep.equal(['policies[3].actions: must be a list of 1..8 actions, e.g. [{"type": "drop"}]']);
    expect(policyProblems(42)[0]).to.match(/^policy: must be an object/);
  });

  it('refuses more destinations than a policy holds', () => {
    const many = Array.from({ length: 4097 }, (_, i) => ({ ...dest, udpPort: 1 + (i % 60000), ip: `198.18.${i >> 8}.${(i & 255) || 1}` }));
    expect(problems({ actions: [{ type: 'replicate', destinations: many }] }).pop()).to.match(/^actions: 4097 destinations in all; a policy holds at most 4096/);
  });

  it('parses addresses and prefixes', () => {
    expect(parseIpv4('198.18.0.1')).to.equal(0xc6120001);
    expect(formatIpv4(0xc6120001)).to.equal('198.18.0.1');
    expect(parseIpv4('256.0.0.1')).to.equal(undefined);
    expect(parsePrefix('198.18.0.0/16')).to.deep.equal({ ip: 0xc6120000, prefix: 16 });
    expect(parsePrefix('198.18.0.9')).to.deep.equal({ ip: 0xc6120009, prefix: 32 });
    expect(parsePrefix('198.18.0.0/x')).to.equal(undefined);
  });
});
