#!/usr/bin/env python3
"""How long the kernel takes to remove a veth whose namespace exits, by the veth's age.

No cnc involved: `unshare -n` holds a new network namespace; a veth pair is made with its peer in
that namespace and its host end on a bridge this script made (as cnc's attach does); the namespace's
only process exits DELAY seconds later, and the host end is polled in /sys/class/net until it goes.
Explains the bridge's cost on `cnc run --rm /bin/true` (BENCHMARKS.md, session 13). Needs root;
touches only the bridge and veth it creates (names cncvt*), removed at the end.
    python3 bench/veth-teardown.py [RUNS]
"""
import os
import subprocess
import sys
import time

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
BR, HOST, PEER = "cncvtbr", "cncvth", "cncvtc"


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def one(delay, up):
    inner = f"ip link set {PEER} up" if up else "true"
    p = subprocess.Popen(["unshare", "-n", "sh", "-c", f"read x; ip link set lo up; {inner}; read y"],
                         stdin=subprocess.PIPE)
    try:
        time.sleep(0.05)
        sh(f"ip link add {HOST} type veth peer name {PEER} netns {p.pid}; ip link set {HOST} master {BR} up")
        p.stdin.write(b"go\n")
        p.stdin.flush()
        time.sleep(0.005 + delay)
    finally:
        start = time.monotonic()
        p.stdin.close()
        p.wait()
    deadline = start + 2
    while os.path.exists(f"/sys/class/net/{HOST}") and time.monotonic() < deadline:
        time.sleep(0.0003)
    took = (time.monotonic() - start) * 1000
    if os.path.exists(f"/sys/class/net/{HOST}"):
        sh(f"ip link del {HOST}")
    time.sleep(0.1)
    return took


def main():
    sh(f"ip link add {BR} type bridge && ip link set {BR} up")
    try:
        for delay in (0.0, 0.02, 0.05):
            for up in (False, True):
                ms = sorted(round(one(delay, up), 1) for _ in range(RUNS))
                print(f"namespace exits {int((0.005 + delay) * 1000)} ms after the veth was made "
                      f"(peer {'up' if up else 'down'}): host end gone after {ms} ms")
    finally:
        sh(f"ip link del {BR}")


if __name__ == "__main__":
    main()
