// `policy create`'s one-line grammar (apps/shell/policy-grammar.ts): each line gives exactly the
// JSON Policy written by hand next to it, errors name the bad token, completion knows the
// keywords, and policyCreateText() gives back a line that parses to the same policy.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { PolicyError, validatePolicy, type Policy } from '../../apps/policy/index.js';
import { COMMANDS } from '../../apps/shell/commands/index.js';
import { PolicyGrammarError, POLICY_CREATE_USAGE, completePolicyCreate, parsePolicyCreate, policyCreateText } from '../../apps/shell/policy-grammar.js';
import { complete, parseLine, tokenize, usage, type ParseContext } from '../../apps/shell/registry.js';

const two: ParseContext = { portCount: () => 2 };

function grammarErr(line: string): PolicyGrammarError {
  try {
    parsePolicyCreate(line);
  } catch (e) {
    if (e instanceof PolicyGrammarError) return e;
    throw e;
  }
  throw new Error(`'${line}' parsed`);
}

/** Lines and the Policy each must give, written by hand. */
const CASES: [string, Policy][] = [
  ['policy create fanout priority 10 pattern port is p0 / ipv4 dst is 198.18.0.1 / udp dst is 9000 / end actions replicate to p1 198.18.1.2 7000, p1 198.18.1.3 7000 / end',
    { id: 'fanout', priority: 10, match: { inPort: 'p0', dst: '198.18.0.1', protocol: 'udp', dstPort: 9000 },
      actions: [{ type: 'replicate', destinations: [{ port: 'p1', ip: '198.18.1.2', udpPort: 7000 }, { port: 'p1', ip: '198.18.1.3', udpPort: 7000 }] }] }],
  ['policy create all-of-it priority -5 lifetime client pattern eth / port is 0 / ipv4 src is 198.18.2.0/24 dst is 198.18.0.0/16 / udp src is 4000 dst is 5000 / end ' +
    'actions replicate to p1 198.18.1.2 7000 mac 02:00:00:00:00:02 src-ip 198.18.1.1 src-port 4001,p2 198.18.1.3 7001 / redirect to 3 198.18.9.9 9 mac 02:AB:00:00:00:03 / end',
    { id: 'all-of-it', priority: -5, lifetime: 'client',
      match: { inPort: 0, src: '198.18.2.0/24', dst: '198.18.0.0/16', protocol: 'udp', srcPort: 4000, dstPort: 5000 },
      actions: [
        { type: 'replicate', destinations: [
          { port: 'p1', ip: '198.18.1.2', udpPort: 7000, mac: '02:00:00:00:00:02', srcIp: '198.18.1.1', srcPort: 4001 },
          { port: 'p2', ip: '198.18.1.3', udpPort: 7001 }] },
        { type: 'redirect', destination: { port: 3, ip: '198.18.9.9', udpPort: 9, mac: '02:ab:00:00:00:03' } }] }],
  ['policy create d pattern end actions drop / end', { id: 'd', actions: [{ type: 'drop' }] }],
  ['policy create sp pattern udp / end actions split datagram max 1200 header / redirect to p1 198.18.1.2 7 / end',
    { id: 'sp', match: { protocol: 'udp' }, actions: [{ type: 'split', mode: 'datagram', maxPayload: 1200, header: true },
      { type: 'redirect', destination: { port: 'p1', ip: '198.18.1.2', udpPort: 7 } }] }],
  ['policy create si pattern udp / end actions split ipfrag mtu 576 / redirect to p1 198.18.1.2 7 / end',
    { id: 'si', match: { protocol: 'udp' }, actions: [{ type: 'split', mode: 'ipfrag', mtu: 576 },
      { type: 'redirect', destination: { port: 'p1', ip: '198.18.1.2', udpPort: 7 } }] }],
  ['policy create sf pattern udp / end actions split framed max 400 u32 drop / replicate / end',
    { id: 'sf', match: { protocol: 'udp' }, actions: [{ type: 'split', mode: 'framed', maxPayload: 400, prefix: 'u32', oversize: 'drop' },
      { type: 'replicate', destinations: [] }] }],
  ['policy create dl lifetime client pattern udp dst is 80 / end actions deliver to 198.18.0.1 5000 / end',
    { id: 'dl', lifetime: 'client', match: { protocol: 'udp', dstPort: 80 }, actions: [{ type: 'deliver', socket: { ip: '198.18.0.1', port: 5000 } }] }],
  ['policy create r0 lifetime client pattern udp / end actions replicate / deliver to 0.0.0.0 7 / end',
    { id: 'r0', lifetime: 'client', match: { protocol: 'udp' }, actions: [{ type: 'replicate', destinations: [] }, { type: 'deliver', socket: { ip: '0.0.0.0', port: 7 } }] }],
  ['policy create icmp-drop pattern icmp / ipv4 src is 198.18.0.5 / end actions drop / end',
    { id: 'icmp-drop', match: { protocol: 'icmp', src: '198.18.0.5' }, actions: [{ type: 'drop' }] }],
  ['policy create gre pattern ipv4 proto is 47 / end actions drop / end', { id: 'gre', match: { protocol: 47 }, actions: [{ type: 'drop' }] }],
  ['policy create p17 pattern ipv4 proto is udp / end actions redirect to p1 198.18.1.2 7 / end',
    { id: 'p17', match: { protocol: 'udp' }, actions: [{ type: 'redirect', destination: { port: 'p1', ip: '198.18.1.2', udpPort: 7 } }] }],
];

describe('policy create: the one-line grammar', () => {
  CASES.forEach(([line, policy], i) => {
    it(`case ${i + 1} (${policy.id}) gives exactly its JSON, which the validator takes`, () => {
      expect(parsePolicyCreate(line)).to.deep.equal(policy);
      expect(() => validatePolicy(policy)).to.not.throw();
    });
    it(`case ${i + 1} (${policy.id}): policyCreateText() gives a line that parses back to it`, () => {
      expect(parsePolicyCreate(policyCreateText(policy))).to.deep.equal(policy);
    });
  });

  it('the inverse of what the core gives back (defaults filled in) is the policy', () => {
    const shown: Policy = { id: 'x', priority: 0, match: { protocol: 17, dstPort: 9 }, actions: [{ type: 'drop' }], lifetime: 'persistent' };
    const line = policyCreateText(shown);
    expect(line).to.equal('policy create x priority 0 lifetime persistent pattern udp dst is 9 / end actions drop / end');
    expect(parsePolicyCreate(line)).to.deep.equal({ ...shown, match: { protocol: 'udp', dstPort: 9 } });
  });

  it('every pair of docs/shell.md: the line gives the JSON shown under it', () => {
    const doc = readFileSync(join(repoRoot(), 'docs', 'shell.md'), 'utf8');
    const pairs = [...doc.matchAll(/```\nmanifold> (policy create [^\n]+)\n```\n\n```json\n([\s\S]*?)```/g)];
    expect(pairs.length).to.be.at.least(4);
    for (const m of pairs) expect(parsePolicyCreate(m[1]!), m[1]).to.deep.equal(JSON.parse(m[2]!));
  });

  it('names the bad token, its word, and why', () => {
    const cases: [string, RegExp][] = [
      ['policy create x pattern udp dst is 90000 / end actions drop / end', /^bad token '90000' \(word 8 of '.*'\): udp dst must be a port number 1\.\.65535$/],
      ['policy create x pattern udp / end actions drop / drop / end', /^bad token 'drop' \(word 11 .*expected end \(drop ends the chain, so nothing may follow it\)/],
      ['policy create x pattern tcp / end actions redirect to p1 198.18.1.2 7 / end', /^bad token 'redirect' \(word 9 .*redirect rewrites UDP headers, so the pattern needs the item udp/],
      ['policy create x pattern udp / udp / end actions drop / end', /^bad token 'udp' \(word 7 .*the pattern has udp already/],
      ['policy create x pattern udp / tcp / end actions drop / end', /^bad token 'tcp' .*the protocol is given already \(udp\)/],
      ['policy create x pattern ipv4 dst is 198.18.0.1 dst is 198.18.0.2 / end actions drop / end', /^bad token 'dst' \(word 9 .*ipv4 dst is given twice/],
      ['policy create x pattern ipv4 dst is 198.18.0.300 / end actions drop / end', /^bad token '198\.18\.0\.300' .*IPv4 address or prefix/],
      ['policy create x pattern ipv4 dst 198.18.0.1 / end actions drop / end', /^bad token '198\.18\.0\.1' \(word 7 .*expected is$/],
      ['policy create x pattern udp dst is 9 end actions drop / end', /^bad token 'end' \(word 9 .*expected src\|dst\|\/ \(a field of udp, or \/ to end the item\)/],
      ['policy create x pattern vlan / end actions drop / end', /^bad token 'vlan' \(word 5 .*expected eth\|port\|ipv4\|udp\|tcp\|icmp\|end \(a pattern item, or end\)/],
      ['policy create x pattern end actions end', /^bad token 'end' \(word 7 .*expected redirect\|replicate\|deliver\|drop\|split\|aggregate \(a policy needs an action\)/],
      ['policy create x pattern udp / end actions queue index 1 / end', /^bad token 'queue' .*expected redirect\|replicate\|deliver\|drop\|split/],
      ['policy create x pattern udp / end actions redirect to p1 198.18.1.2 7000 mac 02:00:00:00:00 / end', /^bad token '02:00:00:00:00' .*<mac> must be a MAC address/],
      ['policy create x pattern udp / end actions redirect to p1 198.18.1.2 7000 src-ip 1.2.3 / end', /^bad token '1\.2\.3' .*src-ip must be an IPv4 address/],
      ['policy create x pattern udp / end actions redirect to p+1 198.18.1.2 7000 / end', /^bad token 'p\+1' .*expected <p>, a port name like p0 or a port index/],
      ['policy create x pattern udp / end actions replicate to p1 198.18.1.2 7000 , / end', /^bad token '\/' .*expected <p>/],
      ['policy create x priority high pattern end actions drop / end', /^bad token 'high' \(word 5 .*<n> must be a whole number/],
      ['policy create x priority 1 priority 2 pattern end actions drop / end', /^bad token 'priority' \(word 6 .*priority is given twice/],
      ['policy create x lifetime forever pattern end actions drop / end', /^bad token 'forever' .*expected persistent\|client/],
      ['policy create pattern udp / end actions drop / end', /^bad token 'pattern' \(word 3 .*expected <id> first/],
      ['policy create x pattern end actions drop / end extra', /^bad token 'extra' \(word 10 .*expected the end of the command/],
      ['policy create x pattern udp / end actions replicate to p1 198.18.1.2', /^'.*' is incomplete: expected <udp-port>$/],
      ['policy create x pattern end actions drop /', /^'.*' is incomplete: expected end$/],
    ];
    for (const [line, re] of cases) {
      const e = grammarErr(line);
      expect(e.message, line).to.match(re);
      expect(e.usages).to.deep.equal(POLICY_CREATE_USAGE);
      expect(e.full.split('\n')[1]).to.equal(`usage: ${POLICY_CREATE_USAGE[0]}`);
    }
  });

  it('what only the whole policy shows comes from the same validator as the JSON form', () => {
    try {
      parsePolicyCreate('policy create dup pattern udp / end actions replicate to p1 198.18.1.2 7000, p1 198.18.1.2 7000 / end');
      expect.fail('parsed');
    } catch (e) {
      expect(e).to.be.instanceOf(PolicyError);
      expect((e as PolicyError).problems).to.deep.equal(['actions[0].destinations[1]: the same port, ip and udpPort as destinations[0]; list a destination once']);
    }
  });

  it('completes the keywords at each point', () => {
    const c = (line: string): string[] => completePolicyCreate(line.split(' '));
    expect(c('policy create x')).to.deep.equal(['priority', 'lifetime', 'pattern']);
    expect(c('policy create x pattern')).to.deep.equal(['eth', 'port', 'ipv4', 'udp', 'tcp', 'icmp', 'end']);
    expect(c('policy create x pattern udp')).to.deep.equal(['src', 'dst', '/']);
    expect(c('policy create x pattern udp dst')).to.deep.equal(['is']);
    expect(c('policy create x pattern udp / end')).to.deep.equal(['actions']);
    expect(c('policy create x pattern udp / end actions replicate to p1 198.18.1.2 7000')).to.deep.equal(['mac', 'src-ip', 'src-port', ',', '/']);
    expect(c('policy create x pattern udp / end actions drop /')).to.deep.equal(['end']);
    expect(c('policy create x pattern udp / end actions deliver')).to.deep.equal(['to']);
    expect(c('policy create x lifetime client pattern udp / end actions deliver to 198.18.0.1 5000 / end')).to.deep.equal([]);
    expect(completePolicyCreate('policy create x pattern port is'.split(' '), two)).to.deep.equal(['0', '1']);
    expect(completePolicyCreate('policy create x pattern udp / end actions redirect to'.split(' '), two)).to.deep.equal(['0', '1']);
  });

  it('is in the shell registry: usage, help, and Tab through the registry', () => {
    const cmd = COMMANDS.find((x) => usage(x).startsWith('policy create'))!;
    expect(usage(cmd)).to.equal(POLICY_CREATE_USAGE[0]);
    const parsed = parseLine(COMMANDS, tokenize('policy create x pattern end actions drop / end'), two);
    expect(parsed.cmd).to.equal(cmd);
    expect(parsed.args).to.deep.equal({ id: 'x', rule: 'pattern end actions drop / end' });
    expect(complete(COMMANDS, 'policy c', two)).to.deep.equal([['create '], 'c']);
    expect(complete(COMMANDS, 'policy create x p', two)).to.deep.equal([['pattern ', 'priority '], 'p']);
    expect(complete(COMMANDS, 'policy create x pattern ipv4 ', two)[0]).to.deep.equal(['/ ', 'dst ', 'proto ', 'src ']);
    expect(complete(COMMANDS, 'policy create x pattern udp / end actions re', two)).to.deep.equal([['redirect ', 'replicate '], 're']);
  });
});
