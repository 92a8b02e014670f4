#!/usr/bin/env python3
"""Times commands round-robin: every round runs each command once, so load drift on a shared
host hits all of them alike (hyperfine runs one command's runs in a row). Usage:
    python3 bench/round-robin.py cmds.json ROUNDS
cmds.json: [["label", ["argv0", "arg", ...]], ...]. Prints median, 25th percentile and min (ms)."""
import json
import statistics
import subprocess
import sys
import time

cmds = json.load(open(sys.argv[1]))
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
times = {label: [] for label, _ in cmds}
for _ in range(rounds):
    for label, argv in cmds:
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times[label].append((time.perf_counter() - start) * 1000)
for label, _ in cmds:
    v = sorted(times[label])
    print(f"{label:28} median {statistics.median(v):6.2f} ms  p25 {v[len(v) // 4]:6.2f}  min {v[0]:6.2f}")
