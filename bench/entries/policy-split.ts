// Split throughput: 64 KiB UDP messages (65000 bytes of payload) cut into 1200-byte datagrams.
// manifold-core: a split datagram policy + redirect on a net_pcap stream of that one jumbo
// frame into net_null (pieces are header mbufs chained to indirect mbufs: no payload copy, the
// UDP checksum of each piece computed). The core runs with --mbuf-data-room 65535 so the
// 65042-byte frame fits one mbuf (net_pcap's infinite_rx cannot chain), and 2047 mbufs so the
// pool (about 134 MB) fits --mem. Anchor: Linux UDP GSO (UDP_SEGMENT = 1200) from one
// socket in a namespace, out of a veth with tx-udp-segmentation off, so the kernel segments in
// software, to a far side that discards the frames. One core each.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withCore } from '../core.js';
import { threadCpuSeconds } from '../thread-cpu.js';
import { SinkNamespace } from '../netns.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';
import { coreConfig, SERVICE, streamPcap } from './policy-common.js';

const MESSAGE = 65000;
const PIECE = 1200;
const WARMUP_MS = 700;

const GSO_C = `
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static double cpu(void) { struct rusage u; getrusage(RUSAGE_SELF, &u); return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6; }
int main(int argc, char **argv) {
	int fd = socket(AF_INET, SOCK_DGRAM, 0), seg = atoi(argv[3]), size = atoi(argv[2]);
	double secs = atof(argv[1]), t0, t, c0;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7000) };
	char *buf = calloc(1, size);
	unsigned long long msgs = 0, fail = 0;
	to.sin_addr.s_addr = htonl(0xc6124a01u); /* 198.18.74.1, behind the gateway */
	memset(buf, 0x5a, size);
	if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) != 0) { perror("UDP_SEGMENT"); return 1; }
	t0 = now();
	c0 = cpu();
	do {
		if (sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof(to)) == size) msgs++; else fail++;
		t = now();
	} while (t - t0 < secs);
	printf("{\\"messages\\": %llu, \\"failed\\": %llu, \\"seconds\\": %f, \\"cpu\\": %f}\\n", msgs, fail, t - t0, cpu() - c0);
	return 0;
}
`;

function sh(cmd: string[]): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** Datagrams per second, and per second of CPU the producer got. On a machine shared with
 * other work the wall-clock rates say as much about the scheduler as about the code; CPU time
 * (the sender's user + system time, which includes the segmentation and the veth hand-over
 * done in its context; manifold's worker thread, which spins) is the fairer ruler. */
interface Rate { wall: number; perCpu: number }

/** Datagrams per second the kernel's software GSO produced. */
async function linuxRate(ctx: BenchContext): Promise<Rate> {
  const dir = mkdtempSync(join(tmpdir(), 'mf-bench-gso-'));
  const net = new SinkNamespace({ tag: 'gso', local: '198.18.75.1', gateway: '198.18.75.2', recipients: '198.18.74.0/24' });
  try {
    writeFileSync(join(dir, 'g.c'), GSO_C);
    sh(['cc', '-O2', '-o', join(dir, 'gso'), join(dir, 'g.c')]);
    net.open();
    // Software segmentation: the veth must not pass the GSO super-packet through whole.
    net.exec(['ethtool', '-K', net.dev, 'tx-udp-segmentation', 'off']);
    const res = net.execJson<{ messages: number; failed: number; seconds: number; cpu: number }>(['taskset', '-c', '1',
      join(dir, 'gso'), String(ctx.seconds), String(MESSAGE), String(PIECE)], (ctx.seconds + 20) * 1000);
    const datagrams = res.messages * Math.ceil(MESSAGE / PIECE);
    const rate = { wall: datagrams / res.seconds, perCpu: datagrams / res.cpu };
    ctx.log(`Linux UDP GSO (software): ${(res.messages / res.seconds).toFixed(0)} messages/s, ${(rate.wall / 1e6).toFixed(2)} M datagrams/s ` +
      `(${res.failed} sends failed), ${res.cpu.toFixed(2)} CPU s in ${res.seconds.toFixed(2)} s: ${(rate.perCpu / 1e6).toFixed(2)} M datagrams per CPU s`);
    return rate;
  } finally {
    net.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function manifoldRate(ctx: BenchContext, pcap: string): Promise<Rate> {
  const config = { ...coreConfig(`bench-psp-${process.pid % 100000}`, pcap), mbufs: 2047, mbufDataRoom: 65535 };
  return withCore(ctx, config, async (m) => {
    const id = 'split-bench';
    await m.policies.add({
      id, match: SERVICE, actions: [
        { type: 'split', mode: 'datagram', maxPayload: PIECE },
        { type: 'redirect', destination: { port: 'out', ip: '198.18.71.2', udpPort: 6000, mac: '02:00:00:00:71:02', srcIp: '198.18.71.1' } },
      ],
    });
    await sleep(WARMUP_MS);
    const a = await m.policies.stats(id);
    const cpu0 = threadCpuSeconds(m.corePid, 'rte-worker');
    const t0 = process.hrtime.bigint();
    await sleep(ctx.seconds * 1000);
    const b = await m.policies.stats(id);
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = threadCpuSeconds(m.corePid, 'rte-worker') - cpu0;
    const rate = (b.sent.packets - a.sent.packets) / elapsed;
    const msgs = (b.matched.packets - a.matched.packets) / elapsed;
    const lost = Object.values(b.dropped).reduce((x, y) => x + y, 0) - Object.values(a.dropped).reduce((x, y) => x + y, 0);
    const perCpu = (b.sent.packets - a.sent.packets) / cpu;
    ctx.log(`manifold split: ${msgs.toFixed(0)} messages/s, ${(rate / 1e6).toFixed(2)} M datagrams/s (${lost} dropped), ` +
      `worker ${cpu.toFixed(2)} CPU s in ${elapsed.toFixed(2)} s: ${(perCpu / 1e6).toFixed(2)} M datagrams per CPU s`);
    if (msgs === 0) throw new Error('manifold split: no message was split (is the 64 KiB frame received?)');
    return { wall: rate, perCpu };
  });
}

export const policySplit: BenchEntry = {
  name: 'policy-split',
  describe: 'split of 64 KiB UDP messages into 1200-byte datagrams vs Linux UDP GSO (software segmentation)',
  async run(ctx): Promise<Measurement[]> {
    const pcap = streamPcap(MESSAGE);
    try {
      const anchor = await linuxRate(ctx);
      const ours = await manifoldRate(ctx, pcap);
      const gbit = (r: number): number => (r * PIECE * 8) / 1e9;
      const anchorName = 'Linux UDP GSO, software segmentation (veth, namespace)';
      const notes = 'manifold: net_pcap stream of one 65000-byte message -> split datagram 1200 + redirect -> net_null, 1 worker, --no-huge, 2047 mbufs of 65535 bytes; Linux: UDP_SEGMENT 1200, veth tx-udp-segmentation off, pinned to CPU 1';
      return [
        { metric: `split ${MESSAGE}-byte messages into ${PIECE}-byte datagrams`, unit: 'datagrams/s', better: 'higher', ours: ours.wall, anchor: anchor.wall,
          anchorName, targetRatio: 3, notes },
        { metric: `split ${MESSAGE}-byte messages into ${PIECE}-byte datagrams, payload`, unit: 'Gbit/s', better: 'higher', ours: gbit(ours.wall), anchor: gbit(anchor.wall),
          anchorName, targetRatio: 3, notes },
        { metric: `split ${MESSAGE}-byte messages into ${PIECE}-byte datagrams, per CPU second used`, unit: 'datagrams/CPU-s', better: 'higher', ours: ours.perCpu, anchor: anchor.perCpu,
          anchorName, targetRatio: 3,
          notes: `${notes}; CPU: manifold's worker thread (it spins), the sender's user + system time (segmentation and the veth hand-over run in its context); the fairer ruler on a shared machine` },
      ];
    } finally {
      rmSync(pcap, { force: true });
    }
  },
};
