#!/usr/bin/env python3
# Drives a program through a pseudo-terminal, as a person at a keyboard would: for each step,
# write `send` (escapes such as \t and \x1b[A as typed keys), then wait until the output since
# that step matches the regex `expect`. Prints the whole transcript; exit code 0 when every
# step matched, 1 on the first that did not (within its timeout), 2 on bad use.
#   pty_drive.py STEPS_JSON -- program args...
import json
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    if len(sys.argv) < 4 or sys.argv[2] != '--':
        print('usage: pty_drive.py STEPS_JSON -- program args...', file=sys.stderr)
        return 2
    steps = json.loads(sys.argv[1])
    argv = sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ['TERM'] = 'xterm'
        os.execvp(argv[0], argv)
    transcript = b''
    status = 0
    try:
        for i, step in enumerate(steps):
            mark = len(transcript)
            if step.get('send'):
                # keys typed apart: readline takes several keys in one read for a paste, and
                # a pasted Tab is inserted, not completed
                time.sleep(step.get('pause', 0.15))
                os.write(fd, step['send'].encode())
            deadline = time.monotonic() + step.get('timeout', 15)
            pattern = re.compile(step.get('expect', ''), re.S)
            while True:
                # strip ANSI escapes so patterns see plain text
                seen = re.sub(rb'\x1b\[[0-9;?]*[A-Za-z]', b'', transcript[mark:]).decode('utf-8', 'replace')
                if pattern.search(seen):
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    sys.stdout.write(transcript.decode('utf-8', 'replace'))
                    print(f'\n[pty_drive] step {i}: no match for {step.get("expect")!r}')
                    return 1
                r, _, _ = select.select([fd], [], [], min(left, 0.2))
                if r:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b''
                    if not chunk:
                        sys.stdout.write(transcript.decode('utf-8', 'replace'))
                        print(f'\n[pty_drive] step {i}: the program ended before {step.get("expect")!r}')
                        return 1
                    transcript += chunk
        # let the program finish (bounded)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                pid = 0
                break
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    transcript += os.read(fd, 65536)
                except OSError:
                    pass
        sys.stdout.write(transcript.decode('utf-8', 'replace'))
        print(f'\n[pty_drive] exit {status}')
        return 0 if pid == 0 else 1
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


sys.exit(main())
