#!/usr/bin/env python3
"""Idle memory per container under a cnc root: each monitor's PSS plus its container cgroup's
rss + cache (cgroup v1 memory controller).

Usage: idle-memory.py ROOT [PREFIX [SUFFIX [MONITOR_DIR]]] (with MONITOR_DIR, every monitor
must run the cnc-monitor of that directory).
"""
import json
import os
import sys

root = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else ""
suffix = sys.argv[3] if len(sys.argv) > 3 else ""
monitor_dir = sys.argv[4] if len(sys.argv) > 4 else None
ids = os.listdir(f"{root}/containers")
pss = cg = 0
for i in ids:
    pid = json.load(open(f"{root}/containers/{i}/state.json"))["MonitorPid"]
    if monitor_dir and not os.readlink(f"/proc/{pid}/exe").endswith(f"/{monitor_dir}/cnc-monitor"):
        sys.exit(f"container {i}: monitor {pid} is not {monitor_dir}/cnc-monitor")
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            pss += int(line.split()[1]) * 1024
    stat = dict(l.split() for l in open(f"/sys/fs/cgroup/memory/cnc/{i}/memory.stat"))
    cg += int(stat["rss"]) + int(stat["cache"])
n = len(ids)
print(f"{prefix}{n} containers: monitor PSS {pss / n / 1e6:.3f} MB + container memory {cg / n / 1e6:.3f} MB "
      f"= {(pss + cg) / n / 1e6:.3f} MB per container{suffix}")
