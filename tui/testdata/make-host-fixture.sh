#!/bin/bash
# make-host-fixture.sh BIN OUTDIR: builds a few real containers on this
# (hybrid cgroup) host with unshare, takes two snapshots one second apart
# with "BIN snapshot" into OUTDIR/host-1.json and host-2.json, and removes
# everything it made. Needs root. The snapshots are fixtures of the TUI's
# golden tests: a real host with
#   - "web": its own pid, net, mnt, uts, ipc and cgroup namespaces, three
#     processes, in v1 cgroups nscope-run-web-PID (cpu quota 20% with a busy
#     loop being throttled, memory limit 64 MiB with ~40 MiB used, pids 32)
#   - a user namespace (uid 0 mapped) owning a pid and mnt namespace
#   - a netns kept only by a bind mount (unshare --net=FILE)
#   - a netns kept only by an open fd of a sleeping process
#   - a named netns from "ip netns add"
set -euo pipefail
BIN=$(realpath "${1:?usage: $0 BIN OUTDIR}")
OUT=$(realpath "${2:?usage: $0 BIN OUTDIR}")
[ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }

tag=web-$$
pids=()
cgdirs=()
bindfile=/tmp/nscope-fixture-net-$$
netns=nscope-fixture-$$

cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	sleep 0.3
	ip netns del "$netns" 2>/dev/null || true
	umount "$bindfile" 2>/dev/null || true
	rm -f "$bindfile"
	for d in "${cgdirs[@]}"; do
		# Member processes are dead; move nothing, just remove.
		rmdir "$d" 2>/dev/null || true
	done
}
trap cleanup EXIT

# Cgroups: cpu, cpuacct and pids are at the root for this process, so a uniquely
# named directory at the hierarchy root; memory goes below our own memory
# cgroup.
own_mem=$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
cpu=/sys/fs/cgroup/cpu/nscope-run-$tag
cpuacct=/sys/fs/cgroup/cpuacct/nscope-run-$tag
mem=/sys/fs/cgroup/memory${own_mem%/}/nscope-run-$tag
pidscg=/sys/fs/cgroup/pids/nscope-run-$tag
mkdir "$cpu" "$cpuacct" "$mem" "$pidscg"
cgdirs=("$cpu" "$cpuacct" "$mem" "$pidscg")
echo 20000 >"$cpu/cpu.cfs_quota_us"
echo $((64 << 20)) >"$mem/memory.limit_in_bytes"
echo 32 >"$pidscg/pids.max"

# The "web" container: init waits for its cgroups, then starts a busy
# loop and a 40 MiB sleeper.
go_file=/tmp/nscope-fixture-go-$$
mkfifo "$go_file"
unshare --pid --fork --mount-proc --net --uts --ipc --cgroup \
	sh -c 'hostname web; read x <'"$go_file"'; (while :; do :; done) & /usr/bin/python3 -c "b=b\"x\"*(40<<20); import time; time.sleep(600)" & wait' &
pids+=($!)
sleep 0.5
inner=$(pgrep -P "${pids[0]}" -x sh)
pids+=("$inner")
for d in "${cgdirs[@]}"; do echo "$inner" >"$d/cgroup.procs"; done
echo go >"$go_file"
rm -f "$go_file"

# A user namespace owning a pid and a mount namespace.
unshare --user --map-root-user --pid --fork --mount-proc sleep 600 &
pids+=($!)

# A netns kept only by a bind mount.
touch "$bindfile"
unshare --net="$bindfile" true

# A netns kept only by an open fd: its only process exits.
unshare --net sleep 600 &
holder_src=$!
pids+=("$holder_src")
sleep 0.3
src=$(pgrep -P "$holder_src" -x sleep || echo "$holder_src")
sh -c 'exec 7</proc/'"$src"'/ns/net; exec sleep 600' &
pids+=($!)
sleep 0.3
kill -9 "$holder_src" "$src" 2>/dev/null || true

# A named netns.
ip netns add "$netns"

sleep 1.5
"$BIN" snapshot -o "$OUT/host-1.json"
sleep 1
"$BIN" snapshot -o "$OUT/host-2.json"

# The machine runs other people's processes whose arguments may carry
# environment or credentials: keep only argv[0] of every process that is
# not this script's own.
for f in "$OUT/host-1.json" "$OUT/host-2.json"; do
	/usr/bin/python3 - "$f" "$$" <<'PY'
import json, sys
path, me = sys.argv[1], int(sys.argv[2])
snap = json.load(open(path))
parent = {p["pid"]: p["ppid"] for p in snap["processes"]}
def mine(pid):
    for _ in range(64):
        if pid == me:
            return True
        pid = parent.get(pid, 0)
        if pid == 0:
            return False
    return False
for p in snap["processes"]:
    if not mine(p["pid"]) and p.get("cmdline"):
        p["cmdline"] = p["cmdline"][:1]
with open(path, "w") as out:
    json.dump(snap, out, indent=2)
    out.write("\n")
PY
done
# The busy loop and sleepers are children of the unshare processes.
for p in "${pids[@]}"; do pkill -9 -P "$p" 2>/dev/null || true; done
echo "wrote $OUT/host-1.json and $OUT/host-2.json"
