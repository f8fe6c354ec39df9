"""What a lab host looks like, read the same way before and after, so two readings can be diffed.

`read(address)` runs one Python script on the host over SSH and returns a flat dict
{"<area> <name>": value} of: units (every unit file and loaded unit with its state), users and
groups, every file, directory and link under /etc, /usr/local, /opt and /var/lib (type, mode,
owner, content digest or link target), the namespace's net.* sysctls, the NIC's state (link
details with XDP, ethtool channels/rings/coalescing, every queue file, the NAPI knobs) and the
bpffs root. `diff(before, after)` lists what differs, one readable line each.

Left out, and why - each is something the host changes by itself or that is not the host's own:
- transient units of the SSH sessions the test itself opens (session-N.scope, user@0.service, ...);
- /var/lib/systemd/{timers,random-seed,catalog} and journal files: written by systemd as it runs;
- the content of the node_exporter textfiles: fastpath-textfile.timer rewrites them (every 30 s by default)
  (their presence, mode and owner still count), and the active state of that timer and its service,
  which change as it fires (whether they are loaded, and their unit files, still count);
- global sysctls (kernel.*, vm.*, fs.*): a lab host has none of its own, they are the machine's,
  which other tests may change; the namespace's net.* ones are the host's;
- IRQs: /proc/irq is the machine's (a veth has none).
"""

from __future__ import annotations

import json
import subprocess

SSH_KEY = "/var/lib/fastpath-lab/ssh/id_ed25519"

# Runs on the lab host (python3 of the image, stdlib only); prints one JSON object.
_SCRIPT = r'''
import hashlib, json, os, stat, subprocess

TREES = ["/etc", "/usr/local", "/opt", "/var/lib"]
SKIP = ("/var/lib/systemd/timers", "/var/lib/systemd/random-seed", "/var/lib/systemd/catalog",
        "/var/lib/systemd/deb-systemd-helper-enabled", "/var/log")
# Rewritten by a timer while the test runs: compared by type, mode and owner, not content.
REWRITTEN = ("/var/lib/node_exporter/textfile_collector/",)
TRANSIENT_UNITS = ("session-", "user@", "user-runtime-dir@", "user-", "run-")
# Started by fastpath-textfile.timer every 30 s by itself: only whether they are loaded is compared
# (their unit files, enabled or not, are compared in full above).
TIMER_DRIVEN_UNITS = ("fastpath-textfile.service", "fastpath-textfile.timer")
NIC = "eth0"
state = {}

def cmd(*argv):
    p = subprocess.run(argv, capture_output=True, text=True)
    return f"rc={p.returncode} {p.stdout.strip()} {p.stderr.strip()}".strip()

for tree in TREES:
    for top, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if not os.path.join(top, d).startswith(SKIP))
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            if path.startswith(SKIP):
                continue
            st = os.lstat(path)
            meta = f"{stat.filemode(st.st_mode)} {st.st_uid}:{st.st_gid}"
            if stat.S_ISLNK(st.st_mode):
                value = f"{meta} -> {os.readlink(path)}"
            elif stat.S_ISREG(st.st_mode) and path.startswith(REWRITTEN):
                value = meta
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    value = f"{meta} sha256:{hashlib.sha256(f.read()).hexdigest()[:16]}"
            else:
                value = meta
            state[f"file {path}"] = value

files = subprocess.run(["systemctl", "list-unit-files", "--no-legend", "--no-pager"],
                       capture_output=True, text=True).stdout
for line in files.splitlines():
    parts = line.split()
    if parts:
        state[f"unit-file {parts[0]}"] = " ".join(parts[1:])
units = subprocess.run(["systemctl", "list-units", "--all", "--no-legend", "--no-pager", "--plain"],
                       capture_output=True, text=True).stdout
for line in units.splitlines():
    parts = line.split(None, 4)
    if len(parts) < 4 or parts[0].startswith(TRANSIENT_UNITS):
        continue
    state[f"unit {parts[0]}"] = parts[1] if parts[0] in TIMER_DRIVEN_UNITS else " ".join(parts[1:4])

for name in ("passwd", "group", "shadow", "gshadow"):
    with open(f"/etc/{name}") as f:
        for line in f:
            fields = line.rstrip("\n").split(":")
            if name == "shadow":
                fields[2] = "(last change)"  # useradd writes today's date: the line itself counts
            state[f"{name} {fields[0]}"] = ":".join(fields[1:])

sysctls = subprocess.run(["sysctl", "-a"], capture_output=True, text=True).stdout
for line in sysctls.splitlines():
    key, _sep, value = line.partition(" = ")
    if key.startswith("net."):
        state[f"sysctl {key}"] = value

link = json.loads(subprocess.run(["ip", "-j", "-d", "link", "show", NIC], capture_output=True,
                                 text=True).stdout)[0]
for volatile in ("stats", "stats64", "linkinfo"):
    link.pop(volatile, None)
state["nic link"] = json.dumps(link, sort_keys=True)
for opt in ("-l", "-g", "-c", "-k"):
    state[f"nic ethtool {opt}"] = cmd("ethtool", opt, NIC)
for proto in ("udp4", "udp6"):
    state[f"nic rx-flow-hash {proto}"] = cmd("ethtool", "-n", NIC, "rx-flow-hash", proto)
base = f"/sys/class/net/{NIC}"
for name in ("napi_defer_hard_irqs", "gro_flush_timeout", "tx_queue_len", "mtu"):
    with open(f"{base}/{name}") as f:
        state[f"nic {name}"] = f.read().strip()
for queue in sorted(os.listdir(f"{base}/queues")):
    for name in ("rps_cpus", "rps_flow_cnt", "xps_cpus", "xps_rxqs"):
        path = f"{base}/queues/{queue}/{name}"
        if os.path.exists(path):
            try:
                with open(path) as f:
                    state[f"nic {queue}/{name}"] = f.read().strip()
            except OSError as e:
                state[f"nic {queue}/{name}"] = f"unreadable: {e.strerror}"

st = os.stat("/sys/fs/bpf")
state["bpffs /sys/fs/bpf"] = f"{stat.filemode(st.st_mode)} " + " ".join(sorted(os.listdir("/sys/fs/bpf")))
print(json.dumps(state))
'''


def read(address: str) -> dict[str, str]:
    argv = ["ssh", "-i", SSH_KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"root@{address}", "python3", "-"]
    proc = subprocess.run(argv, input=_SCRIPT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"reading {address}'s state failed: {proc.stderr}"
    return json.loads(proc.stdout)


def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """One line per difference: gone, new, or changed (with both values)."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            lines.append(f"gone:    {key} = {before[key]}")
        elif key not in before:
            lines.append(f"new:     {key} = {after[key]}")
        elif before[key] != after[key]:
            lines.append(f"changed: {key}: {before[key]} -> {after[key]}")
    return lines
