#!/usr/bin/env python3
"""Print summed utime+stime (seconds) of the given pids and all their descendants (live ones)."""
import os, sys
tick = os.sysconf("SC_CLK_TCK")
def children_map():
    m = {}
    for p in os.listdir("/proc"):
        if not p.isdigit(): continue
        try:
            with open(f"/proc/{p}/stat") as f: s = f.read()
        except OSError: continue
        rest = s[s.rfind(")")+2:].split()
        m.setdefault(int(rest[1]), []).append(int(p))
    return m
def cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f: s = f.read()
    except OSError: return 0
    rest = s[s.rfind(")")+2:].split()
    return (int(rest[11]) + int(rest[12])) / tick
m = children_map()
total = 0.0
def reaped(pid):
    try:
        with open(f"/proc/{pid}/stat") as f: s = f.read()
    except OSError: return 0
    rest = s[s.rfind(")")+2:].split()
    return (int(rest[13]) + int(rest[14])) / tick
for root in map(int, sys.argv[1:]):
    total += reaped(root)  # children that exited and were waited for (PostgreSQL backends)
    stack = [root]
    while stack:
        p = stack.pop(); total += cpu(p); stack.extend(m.get(p, []))
print(f"{total:.2f}")
