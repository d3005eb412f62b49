// Replication, copies per second at 8, 64 and 1024 destinations: manifold-core's replicate
// policy (header mbuf + clone of the payload per copy, UDP rewrite, checksums) on a net_pcap
// stream into net_null, against Linux sendmmsg() sending the same copies (same payload) to as
// many destinations from one socket in a namespace of its own, out of a veth whose far end
// discards them (the nearest the kernel has to net_null here: no dummy driver). One core each.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withCore } from '../core.js';
import { SinkNamespace } from '../netns.js';
import { sleep, type BenchContext, type BenchEntry, type Measurement } from '../harness.js';
import { coreConfig, replicate, streamPcap } from './policy-common.js';

const PAYLOAD = 64;
const FANOUTS = [8, 64, 1024];
const WARMUP_MS = 700;

// The anchor: one socket, one sendmmsg() per round of n datagrams (up to 1024 a call), for a
// timed window; prints the datagrams the kernel took per second.
const SENDMMSG_C = `
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
	int n = atoi(argv[1]), size = atoi(argv[3]), fd = socket(AF_INET, SOCK_DGRAM, 0), i, r;
	double secs = atof(argv[2]), t0, t;
	struct sockaddr_in *to = calloc(n, sizeof(*to));
	struct mmsghdr *m = calloc(n, sizeof(*m));
	struct iovec iov;
	char *buf = calloc(1, size);
	unsigned long long sent = 0;
	memset(buf, 0x5a, size);
	iov.iov_base = buf; iov.iov_len = size;
	for (i = 0; i < n; i++) {
		to[i].sin_family = AF_INET;
		to[i].sin_port = htons(7000 + i);
		to[i].sin_addr.s_addr = htonl(0xc6124a00u + 1 + (i % 250)); /* 198.18.74.x, behind the gateway */
		m[i].msg_hdr.msg_name = &to[i];
		m[i].msg_hdr.msg_namelen = sizeof(to[i]);
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	do {
		for (i = 0; i < n; i += r) {
			r = sendmmsg(fd, m + i, n - i > 1024 ? 1024 : n - i, 0);
			if (r <= 0) { r = 1; continue; }
			sent += r;
		}
		t = now();
	} while (t - t0 < secs);
	printf("{\\"sent\\": %llu, \\"seconds\\": %f}\\n", sent, t - t0);
	return 0;
}
`;

function sh(cmd: string[]): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')}: ${r.stderr || r.error?.message}`);
}

async function linuxRates(ctx: BenchContext): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'mf-bench-sendmmsg-'));
  // the destinations sit behind a gateway the far namespace discards for (bench/netns.ts)
  const net = new SinkNamespace({ tag: 'mmsg', local: '198.18.75.1', gateway: '198.18.75.2', recipients: '198.18.74.0/24' });
  try {
    writeFileSync(join(dir, 's.c'), SENDMMSG_C);
    sh(['cc', '-O2', '-o', join(dir, 'sendmmsg'), join(dir, 's.c')]);
    net.open();
    const rates: number[] = [];
    for (const n of FANOUTS) {
      const res = net.execJson<{ sent: number; seconds: number }>(['taskset', '-c', '1', join(dir, 'sendmmsg'),
        String(n), String(ctx.seconds), String(PAYLOAD)], (ctx.seconds + 20) * 1000);
      rates.push(res.sent / res.seconds);
      ctx.log(`sendmmsg x${n}: ${(rates.at(-1)! / 1e6).toFixed(2)} M datagrams/s`);
    }
    return rates;
  } finally {
    net.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function manifoldRates(ctx: BenchContext, pcap: string): Promise<number[]> {
  return withCore(ctx, coreConfig(`bench-prp-${process.pid % 100000}`, pcap), async (m) => {
    const rates: number[] = [];
    for (const n of FANOUTS) {
      const id = `fan-${n}`;
      await m.policies.add(replicate(id, n));
      await sleep(WARMUP_MS);
      const a = await m.policies.stats(id);
      const t0 = process.hrtime.bigint();
      await sleep(ctx.seconds * 1000);
      const b = await m.policies.stats(id);
      const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      await m.policies.remove(id);
      rates.push((b.sent.packets - a.sent.packets) / elapsed);
      const lost = b.dropped.nombuf + b.dropped.tx_full - a.dropped.nombuf - a.dropped.tx_full;
      ctx.log(`manifold replicate x${n}: ${(rates.at(-1)! / 1e6).toFixed(2)} M copies/s (${lost} not sent)`);
    }
    return rates;
  });
}

export const policyReplicate: BenchEntry = {
  name: 'policy-replicate',
  describe: 'replicate policy copies/s at 8, 64, 1024 destinations vs Linux sendmmsg of the same copies',
  async run(ctx): Promise<Measurement[]> {
    const pcap = streamPcap(PAYLOAD);
    try {
      const anchor = await linuxRates(ctx);
      const ours = await manifoldRates(ctx, pcap);
      return FANOUTS.map((n, i) => ({
        metric: `replicate to ${n} destinations, ${PAYLOAD}-byte UDP payload`, unit: 'copies/s', better: 'higher' as const,
        ours: ours[i]!, anchor: anchor[i]!, anchorName: `Linux sendmmsg x${n} (veth, namespace)`, targetRatio: 10,
        notes: 'manifold: net_pcap stream -> net_null, 1 worker, --no-huge; Linux: one socket pinned to CPU 1',
      }));
    } finally {
      rmSync(pcap, { force: true });
    }
  },
};
