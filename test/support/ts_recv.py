#!/usr/bin/env python3
# A UDP receiver for the send tests, run inside a test's network namespace (ip netns exec). It
# binds every port of --ports, takes each datagram's kernel receive time (SO_TIMESTAMPNS,
# CLOCK_REALTIME, converted to CLOCK_MONOTONIC, the clock of the batch's times) and prints
# "listening" once bound, then one JSON line when --expect datagrams came or --seconds passed:
#   {"count": N, "got": [[port, mono_ns, "payload hex"], ...]}
# It also ends when its parent goes away, so a failed test leaves nothing running.
import argparse
import json
import os
import selectors
import socket
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def ports_of(spec):
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", required=True)
    ap.add_argument("--expect", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--quiet-ms", type=float, default=0, help="after --expect, wait this long for extras")
    a = ap.parse_args()
    parent = os.getppid()
    sel = selectors.DefaultSelector()
    socks = []
    for p in ports_of(a.ports):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind(("0.0.0.0", p))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, p)
        socks.append(s)
    # realtime - monotonic, taken now: kernel stamps are realtime
    offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    print("listening", flush=True)
    got = []
    t_end = time.monotonic() + a.seconds
    t_quiet = None
    while time.monotonic() < t_end:
        if t_quiet is not None and time.monotonic() >= t_quiet:
            break
        if os.getppid() != parent:
            break
        for key, _ in sel.select(timeout=0.05):
            s = key.fileobj
            while True:
                try:
                    data, anc, _flags, _addr = s.recvmsg(9000, socket.CMSG_SPACE(16))
                except BlockingIOError:
                    break
                ts = 0
                for level, typ, cdata in anc:
                    if level == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(cdata) >= 16:
                        sec = int.from_bytes(cdata[0:8], "little")
                        nsec = int.from_bytes(cdata[8:16], "little")
                        ts = sec * 1_000_000_000 + nsec - offset
                got.append([key.data, ts, data.hex()])
        if a.expect and len(got) >= a.expect and t_quiet is None:
            t_quiet = time.monotonic() + a.quiet_ms / 1000.0
    sys.stdout.write(json.dumps({"count": len(got), "got": got}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
