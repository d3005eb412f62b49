import { expect } from 'chai';
import { ConfigError, parseConfig, validateConfig, isIpv4Cidr, tapInterface } from '../../apps/appliance/config.js';
import { coreArgs } from '../../apps/appliance/core-args.js';

function problemsOf(value: unknown): string[] {
  try {
    validateConfig(value);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  return [];
}

describe('appliance configuration', () => {
  const good = {
    name: 'lab',
    lcores: '0-1',
    forward: 'io',
    ports: [
      { name: 'p0', dev: 'net_tap0,iface=mf0', ip: '198.18.0.1/24', netns: 'h0', peerIp: '198.18.0.2/24' },
      { name: 'p1', dev: 'net_null0', forward: 'mac', peer: 'p0', peerMac: '02:00:00:00:00:09' },
    ],
    policies: [],
  };

  it('accepts the documented example', () => {
    expect(problemsOf(good)).to.deep.equal([]);
    expect(validateConfig(good).ports).to.have.length(2);
  });

  it('names the field, what is wrong and what is right', () => {
    const problems = problemsOf({ ports: [{ name: 'p0', dev: 'eth0' }] });
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(/^ports\[0\]\.dev: "eth0" is neither a PCI address .* net_null/);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf({
      name: 'bad name!', lcores: 'x', hugepages: 'maybe', forward: 'teleport', burst: 0,
      ports: [{ name: 'p0', dev: 'net_null0', ip: '300.1.1.1/24', colour: 'red' }],
    });
    const fields = problems.map((p) => p.split(':')[0]);
    expect(fields).to.include.members(['name', 'lcores', 'hugepages', 'forward', 'burst',
      'ports[0].colour', 'ports[0].ip']);
    expect(problems.find((p) => p.startsWith('ports[0].colour'))).to.match(/known fields are name, dev/);
  });

  it('refuses a missing or empty port list', () => {
    expect(problemsOf({})[0]).to.match(/^ports: must be a non-empty array/);
    expect(problemsOf({ ports: [] })[0]).to.match(/^ports: must be a non-empty array/);
  });

  it('checks names across ports: duplicates, unknown peers, shared devices and namespaces', () => {
    const problems = problemsOf({
      ports: [
        { name: 'p0', dev: 'net_tap0,iface=a', netns: 'h0' },
        { name: 'p0', dev: 'net_tap0,iface=b', netns: 'h0', peer: 'p9' },
      ],
    });
    expect(problems.join('\n')).to.match(/ports\[1\]\.name: "p0" is used twice/)
      .and.match(/ports\[1\]\.peer: no port is named "p9"; ports are p0, p0/)
      .and.match(/ports\[1\]\.dev: device "net_tap0" is already ports\[0\]/)
      .and.match(/ports\[1\]\.netns: "h0" is already used by ports\[0\]/);
  });

  it('allows netns only where there is a kernel side to move', () => {
    expect(problemsOf({ ports: [{ name: 'p0', dev: 'net_null0', netns: 'h0' }] })[0])
      .to.match(/^ports\[0\]\.netns: only a net_tap port with iface=NAME/);
    expect(problemsOf({ ports: [{ name: 'p0', dev: 'net_tap0,iface=t', peerIp: '198.18.0.2/24' }] })[0])
      .to.match(/^ports\[0\]\.peerIp: needs "netns"/);
  });

  it('checks each policy with the policy validator, naming policies[i] and the field', () => {
    expect(problemsOf({ ports: [{ name: 'p0', dev: 'net_null0' }], policies: [{}] })[0])
      .to.match(/^policies\[0\]\.id: must be 1-31 characters/);
    expect(problemsOf({ ports: [{ name: 'p0', dev: 'net_null0' }], policies: [{ id: 'd', actions: [{ type: 'drop' }] }] })).to.deep.equal([]);
  });

  it('turns JSON syntax errors into a ConfigError naming the file', () => {
    expect(() => parseConfig('{"ports": [', 'lab.json')).to.throw(ConfigError, /lab\.json is not valid:\n  - not valid JSON/);
  });

  it('parses CIDR addresses and tap interfaces', () => {
    expect(isIpv4Cidr('198.18.0.1/24')).to.equal(true);
    expect(isIpv4Cidr('198.18.0.1')).to.equal(false);
    expect(isIpv4Cidr('198.18.0.256/24')).to.equal(false);
    expect(isIpv4Cidr('198.18.0.1/33')).to.equal(false);
    expect(tapInterface('net_tap3,iface=mf3,mac=fixed')).to.equal('mf3');
    expect(tapInterface('net_null0')).to.equal(undefined);
  });
});

describe('core command line from a configuration', () => {
  it('passes ports in order and forward modes with peers and MACs', () => {
    const cfg = validateConfig({
      lcores: 1, hugepages: 'off', memoryMb: 128, backoff: false, burst: 64,
      ports: [
        { name: 'p0', dev: 'net_null0' },
        { name: 'p1', dev: 'net_null1', forward: 'mac', peer: 'p0', peerMac: '02:00:00:00:00:05' },
      ],
    });
    expect(coreArgs(cfg, 'x')).to.deep.equal([
      '--name', 'x', '--exit-with-parent', '--lcores', '0', '--huge', 'off', '--mem', '128', '--backoff', 'off',
      '--burst', '64', '--port', 'p0=net_null0', '--port', 'p1=net_null1',
      '--fwd', 'p1=mac:p0@02:00:00:00:00:05',
    ]);
  });

  it('passes workerSched, and refuses a scheduler it does not know, naming both', () => {
    const ports = [{ name: 'p0', dev: 'net_null0' }];
    expect(coreArgs(validateConfig({ workerSched: 'fifo', ports }), 'x')).to.deep.equal(['--name', 'x', '--exit-with-parent',
      '--worker-sched', 'fifo', '--port', 'p0=net_null0']);
    expect(problemsOf({ workerSched: 'rr', ports })).to.deep.equal([
      'workerSched: must be "other" (the default scheduler) or "fifo" (real-time), not "rr"']);
  });

  it('passes the port pool: mbufs and the mbuf data room', () => {
    const cfg = validateConfig({ mbufs: 2047, mbufDataRoom: 65535, policyMbufs: 63, ports: [{ name: 'p0', dev: 'net_null0' }] });
    expect(coreArgs(cfg, 'x')).to.deep.equal(['--name', 'x', '--exit-with-parent', '--mbufs', '2047',
      '--mbuf-data-room', '65535', '--policy-mbufs', '63', '--port', 'p0=net_null0']);
  });

  it('refuses a data room DPDK cannot hold or the headers do not fit, saying the range', () => {
    const ports = [{ name: 'p0', dev: 'net_null0' }];
    for (const bad of [65536, 255, 2048.5, '4096']) {
      expect(problemsOf({ mbufDataRoom: bad, ports })).to.deep.equal([
        'mbufDataRoom: must be bytes per mbuf from 256 to 65535, the 128-byte headroom included ' +
        '(DPDK keeps it in 16 bits); 65535 takes a 65000-byte datagram whole']);
    }
    expect(problemsOf({ mbufs: 100, ports })[0]).to.match(/^mbufs: must be a whole number of mbufs from 1023 to 16777215/);
    expect(problemsOf({ policyMbufs: 62, ports })[0]).to.match(/^policyMbufs: must be a whole number of mbufs from 63 to 16777215/);
    expect(problemsOf({ mbufs: 1023, mbufDataRoom: 256, ports })).to.deep.equal([]);
  });

  it('a peer of null is no peer (--fwd NAME=MODE:none); a port may not be named none', () => {
    const cfg = validateConfig({ ports: [{ name: 'a', dev: 'net_null0', peer: null }, { name: 'b', dev: 'net_null1' }] });
    expect(coreArgs(cfg, 'x')).to.deep.equal(['--name', 'x', '--exit-with-parent',
      '--port', 'a=net_null0', '--port', 'b=net_null1', '--fwd', 'a=io:none']);
    expect(problemsOf({ ports: [{ name: 'none', dev: 'net_null0' }] })[0])
      .to.match(/^ports\[0\]\.name: "none" is reserved \(a peer of none means no peer\)/);
    expect(problemsOf({ ports: [{ name: 'a', dev: 'net_null0', peer: 5 }] })[0])
      .to.match(/^ports\[0\]\.peer: must be the name of another port, e\.g\. "p1", or null for none/);
  });

  it('applies the top-level forward mode to every port', () => {
    const cfg = validateConfig({ forward: 'drop', lcores: '0-1',
      ports: [{ name: 'a', dev: 'net_ring0' }, { name: 'b', dev: 'net_ring1', forward: 'io' }] });
    expect(coreArgs(cfg, 'default')).to.deep.equal(['--name', 'default', '--exit-with-parent', '--lcores', '0-1',
      '--port', 'a=net_ring0', '--port', 'b=net_ring1', '--fwd', 'a=drop', '--fwd', 'b=io']);
  });
});

describe('policies in the appliance configuration', () => {
  it('refuses a configured policy tied to a client: the appliance owns it', () => {
    const problems = problemsOf({
      ports: [{ name: 'p0', dev: 'net_null0' }, { name: 'p1', dev: 'net_null1' }],
      policies: [{ id: 'fan', lifetime: 'client', match: { protocol: 'udp', dstPort: 9000 },
        actions: [{ type: 'drop' }] }],
    });
    expect(problems).to.deep.equal(['policies[0].lifetime: a configured policy belongs to the ' +
      'appliance, not to a client; use "persistent" or leave it out']);
  });
});
