// The stack against the Linux kernel's own: one net_tap port in stack mode whose kernel side
// lives in a namespace this test creates (through the appliance's `netns`/`peerIp`). The kernel
// pings the core, resolves it by ARP, exchanges UDP with an app bound through the ffi client
// (datagrams below and above the MTU, both ways), and malformed frames injected from the
// namespace are counted by reason without disturbing the traffic around them.
import { collect } from '../support/datagrams.js';
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../apps/paths.js';
import { Manifold, StackOp, type Datagram } from '../../ffi/index.js';
import { cleanupAppliances, manifold, startAppliance, uniqueName } from '../support/cli.js';

const NAME = uniqueName('stk');
const tag = process.pid % 100000;
const NS = `mfs-${tag}`;
const IF = `mfs${tag}`;
const NET = `198.19.${tag % 250}`;
const CORE_IP = `${NET}.1`;
const KERNEL_IP = `${NET}.2`;
const PEER = join(repoRoot(), 'dist', 'apps', 'demo', 'udp-peer.js');

function sh(cmd: string, timeout = 30_000): { code: number; out: string } {
  const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout });
  return { code: r.status ?? -1, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

function removeNamespace(): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  if (list.split('\n').some((l) => l.split(' ')[0] === NS)) spawnSync('ip', ['netns', 'del', NS]);
}

function hasPing(): boolean {
  return spawnSync('bash', ['-c', 'command -v ping'], { encoding: 'utf8' }).status === 0;
}

/** The JSON lines of udp-peer.js, last "done" line of each kind. */
function peerReports(out: string): Record<string, number>[] {
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>);
}


/** Checks udp-peer's datagrams: sequence numbers 0..n-1 once each, size, filler 0x6d. */
function checkPeerDatagrams(got: Datagram[], n: number, size: number): void {
  const seqs = new Set<number>();
  for (const d of got) {
    expect(d.data.length).to.equal(size);
    expect(d.from.ip).to.equal(KERNEL_IP);
    expect(d.to.ip).to.equal(CORE_IP);
    seqs.add(d.data.readUInt32BE(0));
    expect(d.data.subarray(4).every((b) => b === 0x6d), 'payload intact').to.equal(true);
  }
  expect(got.length).to.equal(n);
  expect([...seqs].sort((a, b) => a - b)).to.deep.equal([...Array(n).keys()]);
}

describe('stack against the kernel (tap port in a namespace)', function () {
  this.timeout(120_000);
  let m: Manifold;
  let coreMac = '';

  before(async function () {
    removeNamespace();
    await startAppliance({
      name: NAME, lcores: 2, hugepages: 'off',
      ports: [{ name: 'p0', dev: `net_tap0,iface=${IF}`, netns: NS, peerIp: `${KERNEL_IP}/24`,
        ip: [`${CORE_IP}/24`, `${NET}.3/24`], forward: 'stack' }],
    });
    m = Manifold.attach(NAME);
    coreMac = (await m.ports())[0]!.mac;
  });

  after(async () => {
    m?.close();
    await cleanupAppliances([NAME]);
    removeNamespace();
  });

  it('lists its addresses from the configuration, and takes one more at run time', async () => {
    await m.stack.addresses.add(0, `${NET}.4/24`);
    const list = await m.stack.addresses.list();
    expect(list.map((a) => a.cidr)).to.deep.equal([`${CORE_IP}/24`, `${NET}.3/24`, `${NET}.4/24`]);
    const bad = await m.stack.addresses.add(0, `${NET}.4/24`).catch((e: Error) => e);
    expect(String(bad)).to.match(/already has address/);
  });

  it('answers the kernel\'s ping; each side\'s neighbour cache holds the other\'s MAC', async function () {
    if (!hasPing()) this.skip(); // scripts/bootstrap.sh installs iputils-ping
    const ping = sh(`ip netns exec ${NS} ping -c 5 -i 0.2 -W 2 ${CORE_IP}`);
    expect(ping.out).to.match(/5 packets transmitted, 5 received/);
    // the run-time address answers too (ARP and echo)
    expect(sh(`ip netns exec ${NS} ping -c 2 -i 0.2 -W 2 ${NET}.4`).out).to.match(/2 received/);

    const kneigh = sh(`ip -n ${NS} neigh show ${CORE_IP} dev ${IF}`).out;
    expect(kneigh.toLowerCase()).to.contain(coreMac.toLowerCase());

    const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${IF}/address`).out.trim();
    const cli = manifold(['neigh', '--json', '--name', NAME]);
    expect(cli.code, cli.stderr).to.equal(0);
    const entries = JSON.parse(cli.stdout) as { ip: string; mac: string; state: string; portName: string }[];
    const k = entries.find((e) => e.ip === KERNEL_IP);
    expect(k, cli.stdout).to.not.equal(undefined);
    expect(k!.mac.toLowerCase()).to.equal(kernelMac.toLowerCase());
    expect(k!.state).to.equal('reachable');
    expect(k!.portName).to.equal('p0');

    const s = await m.stats();
    const c = s.ports[0]!.counters;
    expect(c.icmp_echo_rx).to.be.at.least(7);
    expect(c.arp_tx_reply).to.be.at.least(1);
    expect(c.arp_tx_request).to.be.at.least(1); // gratuitous ARP when the port came up
  });

  it('answers a ping larger than the MTU (reassembly in, fragmentation out)', async function () {
    if (!hasPing()) this.skip();
    const before = (await m.stats()).ports[0]!.counters;
    const ping = sh(`ip netns exec ${NS} ping -c 3 -i 0.2 -W 2 -s 4000 ${CORE_IP}`);
    expect(ping.out).to.match(/3 packets transmitted, 3 received/);
    const after = (await m.stats()).ports[0]!.counters;
    expect(after.reasm_done - before.reasm_done).to.equal(3);
    expect(after.frag_tx - before.frag_tx).to.equal(9); // 4028 bytes in 3 fragments, 3 times
  });

  it('delivers a kernel socket\'s datagrams to an app, every one intact, small and beyond the MTU', async () => {
    const sock = await m.stack.udp.bind(CORE_IP, 7000);
    try {
      for (const [count, size] of [[300, 300], [20, 5000]] as const) {
        const run = spawn('ip', ['netns', 'exec', NS, process.execPath, PEER, 'send', '--to', `${CORE_IP}:7000`,
          '--count', String(count), '--size', String(size), '--rate', '2000', '--seconds', '30', '--report-ms', '200']);
        const exited = new Promise((r) => run.on('exit', r)); // it ends once all are sent
        const got = await collect(sock, count, 15_000);
        await exited;
        checkPeerDatagrams(got, count, size);
      }
    } finally {
      await sock.close();
    }
    const c = (await m.stats()).ports[0]!.counters;
    expect(c.udp_bad).to.equal(0);
    expect(c.udp_rx).to.equal(320);
  });

  it('sends an app\'s datagrams to a kernel socket, which takes them all (checksums included)', async () => {
    const sock = await m.stack.udp.bind('0.0.0.0', 7001);
    try {
      const recv = spawn('ip', ['netns', 'exec', NS, process.execPath, PEER, 'recv', '--port', '7002', '--seconds', '4', '--report-ms', '200']);
      let out = '';
      recv.stdout.on('data', (b: Buffer) => { out += b.toString(); });
      const until = Date.now() + 5000;
      while (!out.includes('listening') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const sent: [number, number][] = [[400, 200], [10, 6000]];
      let seq = 0;
      for (const [count, size] of sent) {
        // in batches of 50, paced: the receiving node process must keep up with its socket
        // buffer (the kernel counts what it cannot take as RcvbufErrors, not our loss)
        for (let i = 0; i < count; i++) {
          const b = Buffer.alloc(size, 0x6d);
          b.writeUInt32BE(seq++, 0);
          sock.sendTo(KERNEL_IP, 7002, b);
          if (i % 50 === 49) {
            await sock.flush();
            await new Promise((r) => setTimeout(r, 30));
          }
        }
        const t = await sock.flush();
        expect(t.noRoute + t.noMbuf + t.queueFull).to.equal(0);
        expect(t.accepted).to.equal(seq);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => recv.on('exit', r));
      const done = peerReports(out).filter((r) => r.done).pop();
      const snmpAll = sh(`ip netns exec ${NS} cat /proc/net/snmp`).out;
      expect(done?.received, out + snmpAll).to.equal(410);
      expect(done?.bytes).to.equal(400 * 200 + 10 * 6000);
      expect(done?.outOfOrder).to.equal(0);
      // the kernel counted no UDP checksum error
      const snmp = sh(`ip netns exec ${NS} cat /proc/net/snmp`).out.split('\n').filter((l) => l.startsWith('Udp:'));
      const keys = snmp[0]!.split(/\s+/);
      const vals = snmp[1]!.split(/\s+/);
      expect(Number(vals[keys.indexOf('InCsumErrors')])).to.equal(0);
    } finally {
      await sock.close();
    }
    const c = (await m.stats()).ports[0]!.counters;
    expect(c.udp_tx).to.equal(410);
  });

  it('counts malformed frames by reason, and the traffic around them is undisturbed', async function () {
    const before = (await m.stats()).ports[0]!.counters;
    const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${IF}/address`).out.trim();
    const py = `
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("${IF}", 0))
dst = bytes.fromhex("${coreMac.replace(/:/g, '')}"); src = bytes.fromhex("${kernelMac.replace(/:/g, '')}")
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff
def ip(vhl=0x45, total=36, fix=True, bad=False, frag=0):
    h = struct.pack("!BBHHHBBH4s4s", vhl, 0, total, 1, frag, 64, 17, 0,
        socket.inet_aton("${KERNEL_IP}"), socket.inet_aton("${CORE_IP}"))
    c = csum(h) ^ (0xffff if bad else 0)
    h = h[:10] + struct.pack("!H", c) + h[12:]
    return h + struct.pack("!HHHH", 9, 7000, 16, 0) + b"x" * 8
eth = dst + src + b"\\x08\\x00"
arp = dst + src + b"\\x08\\x06" + struct.pack("!HHBBH", 1, 0x0800, 7, 4, 1) + src + b"\\0" * 30
frames = {
  "ipv4_truncated": eth + ip()[:12],
  "ipv4_bad_ihl": eth + ip(vhl=0x44),
  "ipv4_bad_checksum": eth + ip(bad=True),
  "ipv4_bad_len": eth + ip(total=12),
  "ipv4_bad_version": eth + ip(vhl=0x65),
  "arp_bad": arp,
  "reasm_drop": eth + ip(total=35, frag=0x2000)[:35],
}
for i in range(3):
    for f in frames.values():
        s.send(f)
print("sent", len(frames) * 3)
`;
    const ping = spawn('ip', ['netns', 'exec', NS, 'ping', '-c', '10', '-i', '0.1', '-W', '2', CORE_IP]);
    let pingOut = '';
    ping.stdout.on('data', (b: Buffer) => { pingOut += b.toString(); });
    const inj = sh(`ip netns exec ${NS} python3 -c '${py.replace(/'/g, "'\\''")}'`);
    expect(inj.out).to.contain('sent 21');
    await new Promise((r) => ping.on('exit', r));
    if (hasPing()) expect(pingOut).to.match(/10 packets transmitted, 10 received/);
    await new Promise((r) => setTimeout(r, 200));
    const after = (await m.stats()).ports[0]!.counters;
    for (const reason of ['ipv4_truncated', 'ipv4_bad_ihl', 'ipv4_bad_checksum', 'ipv4_bad_len', 'ipv4_bad_version', 'arp_bad', 'reasm_drop'] as const) {
      expect(after[reason] - before[reason], reason).to.equal(3);
    }
    // and UDP still flows afterwards
    const sock = await m.stack.udp.bind(CORE_IP, 7003);
    try {
      const run = spawn('ip', ['netns', 'exec', NS, process.execPath, PEER, 'send', '--to', `${CORE_IP}:7003`,
        '--count', '50', '--size', '100', '--rate', '1000', '--seconds', '30', '--report-ms', '200']);
      const exited = new Promise((r) => run.on('exit', r)); // it ends once all are sent
      const got = await collect(sock, 50, 10_000);
      await exited;
      checkPeerDatagrams(got, 50, 100);
    } finally {
      await sock.close();
    }
  });

  it('survives thousands of random frames (random IPv4 and ARP headers and payloads)', async function () {
    const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${IF}/address`).out.trim();
    const py = `
import os, random, socket, struct
random.seed(${tag})
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("${IF}", 0))
dst = bytes.fromhex("${coreMac.replace(/:/g, '')}"); src = bytes.fromhex("${kernelMac.replace(/:/g, '')}")
me = socket.inet_aton("${CORE_IP}"); peer = socket.inet_aton("${KERNEL_IP}")
n = 0
for i in range(3000):
    kind = random.choice([b"\\x08\\x00", b"\\x08\\x06"])
    body = bytearray(os.urandom(random.randint(0, 1400)))
    if kind == b"\\x08\\x00" and len(body) >= 20 and random.random() < 0.7:
        body[0] = 0x45; body[12:16] = peer; body[16:20] = me   # mostly plausible headers
        if random.random() < 0.5: body[2:4] = struct.pack("!H", len(body))
        if random.random() < 0.3: body[9] = random.choice([1, 17])
    try:
        s.send(dst + src + kind + bytes(body)); n += 1
    except OSError:
        pass
print("sent", n)
`;
    const before = (await m.stats()).ports[0]!.counters;
    const inj = sh(`ip netns exec ${NS} python3 -c '${py.replace(/'/g, "'\\''")}'`, 60_000);
    expect(inj.out).to.match(/sent \d{4}/);
    await new Promise((r) => setTimeout(r, 300));
    const after = (await m.stats()).ports[0]!.counters;
    expect(after.fwd_in - before.fwd_in, 'the frames reached the stack').to.be.at.least(2900);
    expect((await m.version()).corePid).to.be.greaterThan(0);
    if (hasPing()) expect(sh(`ip netns exec ${NS} ping -c 3 -i 0.2 -W 2 ${CORE_IP}`).out).to.match(/3 received/);
  });

  it('routes beyond the connected prefix through the port\'s gateway', async () => {
    await m.stack.setGateway(0, KERNEL_IP);
    expect((await m.stack.addresses.list())[0]!.gateway).to.equal(KERNEL_IP);
    const kernelMac = sh(`ip netns exec ${NS} cat /sys/class/net/${IF}/address`).out.trim();
    // a raw socket in the namespace sees what arrives: the datagram for 198.18.250.9 must come
    // to the gateway's (the kernel's) MAC
    const sniff = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', `
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800)); s.bind(("${IF}", 0))
s.settimeout(0.2); print("ready", flush=True); end = time.monotonic() + 4
while time.monotonic() < end:
    try: f = s.recv(2048)
    except socket.timeout: continue
    if f[30:34] == socket.inet_aton("198.18.250.9"):
        print("dst", f[0:6].hex(), "port", int.from_bytes(f[36:38], "big"), flush=True); break
`]);
    let out = '';
    sniff.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const until = Date.now() + 5000;
    while (!out.includes('ready') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const sock = await m.stack.udp.bind('0.0.0.0', 7004);
    try {
      sock.sendTo('198.18.250.9', 4242, Buffer.from('via the gateway'));
      expect((await sock.flush()).accepted).to.equal(1);
      await new Promise((r) => sniff.on('exit', r));
      expect(out).to.contain(`dst ${kernelMac.replace(/:/g, '')} port 4242`);
    } finally {
      await sock.close();
      await m.stack.setGateway(0, null);
    }
    // without a gateway, the same destination has no route, and the app is told
    const sock2 = await m.stack.udp.bind('0.0.0.0', 7005);
    sock2.sendTo('198.18.250.9', 4242, Buffer.from('nowhere'));
    expect((await sock2.flush()).noRoute).to.equal(1);
    await sock2.close();
  });

  it('holds packets while ARP resolves; a next hop that never answers fails them, counted', async () => {
    const before = (await m.stats()).ports[0]!.counters;
    const sock = await m.stack.udp.bind('0.0.0.0', 7006);
    try {
      for (let i = 0; i < 5; i++) sock.sendTo(`${NET}.77`, 4242, Buffer.from(`lost ${i}`));
      expect((await sock.flush()).accepted).to.equal(5);
      await new Promise((r) => setTimeout(r, 300));
      const waiting = (await m.stack.neigh()).find((n) => n.ip === `${NET}.77`);
      expect(waiting?.state).to.equal('incomplete');
      expect(waiting?.queued).to.equal(5);
      const until = Date.now() + 8000; // 3 requests, 1 s apart, then failed
      let state = '';
      while (Date.now() < until) {
        state = (await m.stack.neigh()).find((n) => n.ip === `${NET}.77`)?.state ?? '';
        if (state === 'failed') break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(state).to.equal('failed');
    } finally {
      await sock.close();
    }
    const after = (await m.stats()).ports[0]!.counters;
    expect(after.arp_resolve_failed - before.arp_resolve_failed).to.equal(5);
    expect(after.arp_tx_request - before.arp_tx_request).to.be.at.least(3);
  });

  it('a socket belongs to its client: in use while it lives, freed when it dies', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
import { Manifold } from ${JSON.stringify(join(repoRoot(), 'dist', 'ffi', 'index.js'))};
const m = Manifold.attach(${JSON.stringify(NAME)});
await m.stack.udp.bind(${JSON.stringify(CORE_IP)}, 7100);
console.log('bound');
setInterval(() => {}, 1000);
`]);
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    try {
      const until = Date.now() + 10_000;
      while (!out.includes('bound') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(out).to.contain('bound');
      const busy = await m.stack.udp.bind(CORE_IP, 7100).catch((e: Error) => e);
      expect(String(busy)).to.match(/already bound/);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.on('exit', r));
    let sock;
    const until = Date.now() + 5000; // the core reaps dead clients every 250 ms
    while (Date.now() < until) {
      sock = await m.stack.udp.bind(CORE_IP, 7100).catch(() => undefined);
      if (sock) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(sock, 'port 7100 free again').to.not.equal(undefined);
    await sock!.close();
  });

  it('an app that does not read holds at most a quarter of the mbufs; the port keeps working', async () => {
    const before = (await m.stats()).ports[0]!.counters;
    const sock = await m.stack.udp.bind(CORE_IP, 7300);
    try {
      const run = sh(`ip netns exec ${NS} ${process.execPath} ${PEER} send --to ${CORE_IP}:7300 ` +
        '--count 4000 --size 64 --rate 8000 --seconds 30 --report-ms 500');
      expect(peerReports(run.out).filter((r) => r.done).pop()?.sent, run.out).to.equal(4000);
      await new Promise((r) => setTimeout(r, 300));
      const mid = (await m.stats()).ports[0]!.counters;
      const cap = Math.floor(8191 / 4); // default --mbufs
      expect(mid.udp_rx - before.udp_rx).to.equal(cap);
      expect(mid.udp_rx_queue_full - before.udp_rx_queue_full).to.be.at.least(1);
      expect(mid.rx_nombuf).to.equal(0);
      if (hasPing()) expect(sh(`ip netns exec ${NS} ping -c 2 -i 0.2 -W 2 ${CORE_IP}`).out).to.match(/2 received/);
      let n = 0;
      for (let i = 0; i < 200 && n < cap; i++) n += (await sock.recv()).length;
      expect(n).to.equal(cap);
    } finally {
      await sock.close();
    }
  });

  it('rejects bad stack requests with the reason, and keeps serving', async () => {
    const reason = (p: Promise<unknown>): Promise<string> => p.then(() => 'accepted', (e: Error) => e.message);
    expect(await reason(m.stack.udp.bind('198.18.250.1', 7200))).to.match(/not one of the core's addresses/);
    expect(await reason(m.stack.udp.bind(CORE_IP, 0))).to.match(/1\.\.65535/);
    expect(await reason(m.stack.addresses.add(5, '198.18.9.1/24'))).to.match(/port 5 does not exist/);
    expect(await reason(m.stack.addresses.add(0, '198.18.9.1'))).to.match(/no prefix/);
    const arg = Buffer.alloc(8);
    arg.writeUInt32LE(63, 0);
    expect(await reason(m.request(StackOp.UDP_RECV, arg))).to.match(/socket 63 is not bound/);
    const sock = await m.stack.udp.bind(CORE_IP, 7201);
    try {
      arg.writeUInt32LE(sock.handle, 0);
      const input = Buffer.alloc(8 + 16 + 4);
      input.writeUInt32LE(1, 0);
      input.writeUInt32LE(0xc6130002, 8);
      input.writeUInt16LE(9, 16);
      input.writeUInt32LE(100, 20); // says 100 bytes, 4 follow
      expect(await reason(m.request(StackOp.UDP_SEND, arg, input))).to.match(/runs past the input/);
      input.writeUInt32LE(2, 0); // two records, one present
      input.writeUInt32LE(4, 20);
      expect(await reason(m.request(StackOp.UDP_SEND, arg, input))).to.match(/record 1 of 2 runs past/);
    } finally {
      await sock.close();
    }
    expect((await m.stack.addresses.list()).length).to.equal(3);
  });

  it('answers port unreachable for an unbound port, as a kernel would', async () => {
    const before = (await m.stats()).ports[0]!.counters;
    // a connected kernel UDP socket learns of the ICMP error: its next send fails ECONNREFUSED
    const r = sh(`ip netns exec ${NS} python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("${CORE_IP}", 7999))
s.send(b"x"); time.sleep(0.3)
try:
    s.send(b"y"); print("no error")
except ConnectionRefusedError:
    print("refused")
'`);
    expect(r.out).to.contain('refused');
    const after = (await m.stats()).ports[0]!.counters;
    expect(after.udp_no_socket - before.udp_no_socket).to.be.at.least(1);
  });
});
