#!/bin/bash
# screenshots/generate.sh regenerates the PNGs in screenshots/ from the
# real TUI running on this machine: it runs bin/nscope in a private tmux
# server at a fixed size, drives it with keys, captures each screen with
# colours (tmux capture-pane -e) and renders it with screenshots/render.
#
# As root it first starts two small containers with "nscope run" (a busy
# one held to 60% of a CPU and 64 MiB, an idle one), so the views have
# something to show, then throttles the busy one to 20% through the TUI
# (c) for the sparkline's drop and the history pane; they and their
# cgroups are removed at the end. The TUI journals into a directory of
# its own, so the history shows only that change.
#
# As root, where docker answers, it also starts a compose-style pair of
# docker containers (shots-web busy at 20% of a CPU, shots-db in its
# network namespace) and, where podman is installed, a podman pod
# (shots-api with shots-api-server), all with no network, from a busybox
# image it imports; they and the images are removed at the end.
#
# As root it also runs "nscope tour" (which builds and removes its own
# lab) for the tour's screenshots and the diagram D exports there.
#
# As root, for the replay shot, it records the host for about 20 seconds
# with "nscope record" while things happen (OOM kills in a third small
# container, a named netns added and deleted, demo-web's CPU limit set
# with "nscope set"), then opens the recording with "nscope --replay" at
# the limit change. The recording, the netns and the container go at the
# end.
#
# Usage: screenshots/generate.sh   (make screenshots builds bin/nscope first)
# Environment: NSCOPE_BIN (default bin/nscope), OUT (default screenshots),
# SHOTS (only these shots, by name, e.g. SHOTS="tour-nesting tour-diagram").
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${NSCOPE_BIN:-bin/nscope}")
OUT=${OUT:-screenshots}
command -v tmux >/dev/null || { echo "$0: tmux is needed (apt-get install tmux)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$0: $BIN not found; run make build" >&2; exit 1; }

work=$(mktemp -d)
mkdir -m 700 "$work/state"
# Every nscope this script runs journals into its own state directory,
# never the machine's /var/lib/nscope.
export NSCOPE_STATE_DIR="$work/state"
sock=nscope-shots-$$
parent=nscope-shots-$$
runs=()
docker=/usr/bin/docker
[ -x "$docker" ] || docker=$(command -v docker || true)
podman_env=(env CONTAINERS_CONF="$(mktemp)")
containers_started=""
netns=""
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	[ -z "$netns" ] || ip netns del "$netns" 2>/dev/null || true
	if [ -n "$containers_started" ]; then
		"$docker" rm -f -v shots-web shots-db >/dev/null 2>&1 || true
		"$docker" rmi -f nscope-shots/busybox:1 >/dev/null 2>&1 || true
		podcg=$("${podman_env[@]}" podman pod inspect --format '{{.CgroupPath}}' shots-api 2>/dev/null || true)
		"${podman_env[@]}" podman pod rm -f -t 0 shots-api >/dev/null 2>&1 || true
		# podman leaves the pod's cgroup in the hierarchies it does not
		# manage (name=systemd, the empty v2 tree of a hybrid host).
		if [ -n "$podcg" ]; then
			sleep 1
			for m in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
				rmdir "$m${podcg#/}/conmon" "$m${podcg#/}" 2>/dev/null || true
			done
		fi
		"${podman_env[@]}" podman rmi -f localhost/nscope-shots/busybox:1 >/dev/null 2>&1 || true
		rm -f "${podman_env[1]#CONTAINERS_CONF=}"
	fi
	for p in "${runs[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${runs[@]}"; do wait "$p" 2>/dev/null || true; done
	# nscope run leaves the parent cgroup it made; remove it everywhere.
	find /sys/fs/cgroup -depth -type d -name "$parent" -exec rmdir {} + 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/render" ./screenshots/render

if [ "$(id -u)" = 0 ]; then
	"$BIN" run --cpu 0.6 --memory 64M --pids 32 --hostname web --name demo-web --cgroup-parent "$parent" --yes -- \
		sh -c 'while :; do :; done & /usr/bin/python3 -c "b=b\"x\"*(40<<20); import time; time.sleep(3600)" & wait' \
		</dev/null >"$work/web.log" 2>&1 &
	runs+=($!)
	"$BIN" run --memory 128M --hostname db --name demo-db --cgroup-parent "$parent" --yes -- sleep 3600 \
		</dev/null >"$work/db.log" 2>&1 &
	runs+=($!)
	sleep 1
fi

# Real containers for the Containers view (4).
if [ "$(id -u)" = 0 ] && [ -n "$docker" ] && "$docker" info >/dev/null 2>&1; then
	containers_started=1
	rootfs="$work/rootfs"
	mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	for a in sh sleep cat dd; do ln -s busybox "$rootfs/bin/$a"; done
	tar -C "$rootfs" -c . | "$docker" import - nscope-shots/busybox:1 >/dev/null
	"$docker" run -d --name shots-web --network none --cpus 0.2 -m 64m --pids-limit 50 \
		-l com.docker.compose.project=shop -l com.docker.compose.service=web nscope-shots/busybox:1 \
		sh -c 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done' >/dev/null
	"$docker" run -d --name shots-db --network container:shots-web \
		-l com.docker.compose.project=shop -l com.docker.compose.service=db nscope-shots/busybox:1 sleep 3600 >/dev/null
	if command -v podman >/dev/null && command -v catatonit >/dev/null; then
		# runc (crun refuses hybrid cgroups), explicit ulimits, no systemd.
		printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
			>"${podman_env[1]#CONTAINERS_CONF=}"
		tar -C "$rootfs" -c . | "${podman_env[@]}" podman import --quiet - localhost/nscope-shots/busybox:1 >/dev/null
		"${podman_env[@]}" podman pod create --name shots-api --network none >/dev/null
		"${podman_env[@]}" podman run -d --pod shots-api --name shots-api-server --memory 128m \
			localhost/nscope-shots/busybox:1 sleep 3600 >/dev/null
	fi
fi

# shot NAME COLS ROWS KEYS...: start the TUI at COLSxROWS (once per size),
# press KEYS (tmux key names; "wait:TEXT" waits for TEXT on screen,
# "type:TEXT" types it), capture and render to OUT/NAME.png.
session_size=""
start() {
	local cols=$1 rows=$2
	tmux -L "$sock" kill-server 2>/dev/null || true
	# The old server may still be exiting: a new session then fails with
	# "server exited unexpectedly". Wait for it to go, and try again.
	for _ in $(seq 50); do
		tmux -L "$sock" has-session 2>/dev/null || break
		sleep 0.1
	done
	local tries=0
	until tmux -L "$sock" -f /dev/null new-session -d -s shots -x "$cols" -y "$rows" -c "$work" \
		"env COLORTERM=truecolor TERM=xterm-256color NSCOPE_STATE_DIR=$work/state ${TUI_CMD:-$BIN}"; do
		tries=$((tries + 1))
		[ "$tries" -lt 5 ] || exit 1
		sleep 0.5
	done
	session_size="${cols}x${rows}"
	wait_for "${READY:-updated}"
	sleep 2.5 # two refreshes: CPU rates and sparklines
}
wait_for() {
	for _ in $(seq 100); do
		tmux -L "$sock" capture-pane -p -t shots | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "$0: timed out waiting for '$1'; the screen is:" >&2
	tmux -L "$sock" capture-pane -p -t shots >&2
	exit 1
}
wanted() { [ -z "${SHOTS:-}" ] || [[ " $SHOTS " == *" $1 "* ]]; }
shot() {
	local name=$1 cols=$2 rows=$3
	shift 3
	wanted "$name" || return 0
	[ "$session_size" = "${cols}x${rows}" ] || start "$cols" "$rows"
	for k in "$@"; do
		case $k in
		wait:*) wait_for "${k#wait:}" ;;
		sleep:*) sleep "${k#sleep:}" ;;
		type:*) tmux -L "$sock" send-keys -t shots -l "${k#type:}" ;;
		*) tmux -L "$sock" send-keys -t shots "$k" ;;
		esac
		sleep 0.3
	done
	sleep 0.5
	tmux -L "$sock" capture-pane -e -p -t shots >"$work/$name.ansi"
	"$work/render" -cols "$cols" -rows "$rows" -in "$work/$name.ansi" -out "$OUT/$name.png"
	echo "wrote $OUT/$name.png"
}

shot start 120 36
shot processes 120 36 2 / type:demo Enter wait:"filter “demo”"
shot process-detail 120 36 Down Down Enter wait:"enter follows a link"
shot follow-link 120 36 Down Down Enter wait:"─ pid namespace"
shot explain 120 36 i wait:"esc, enter or i closes"
shot namespaces 120 36 Escape Escape 1 Home wait:"NAMESPACE "
shot cgroups 120 36 3 / type:demo Enter wait:"CGROUP "
if [ "$(id -u)" = 0 ]; then
	# The on-call flow: find the hog, throttle it, watch the drop, look
	# back at the change.
	shot throttle 120 36 / BSpace BSpace BSpace BSpace type:demo-web Enter wait:"→ " \
		c type:0.2 Enter wait:"This writes" y wait:"read back" Enter sleep:6 wait:"CGROUP "
	shot history 120 36 H wait:"Change history"
	if wanted history; then
		tmux -L "$sock" send-keys -t shots Escape
		sleep 0.5 # an escape followed at once by a key reads as alt+key
	fi
fi
shot help 120 36 "?" wait:"nscope keys"
shot containers 120 36 Escape 4 / type:shots- Enter Down wait:"─ Container docker:shots-web"
shot container-detail 160 48 4 / type:shots- Enter Down wait:"Limits: docker"
shot wide-cgroups 200 56 3 / type:demo Enter wait:"HISTORY"

# The replay: a recording of the host while OOM kills happen, a netns
# comes and goes and demo-web's CPU limit is set, opened at the change
# (T to the time just before it, } to the next mark) in the Cgroups view.
if [ "$(id -u)" = 0 ] && wanted replay; then
	rec="$work/rec"
	NSCOPE_STATE_DIR="$work/state" "$BIN" record --interval 1s --full-every 5s --quiet "$rec" &
	recorder=$!
	runs+=($recorder)
	sleep 4
	"$BIN" run --memory 24M --name demo-oom --cgroup-parent "$parent" --yes -- \
		sh -c 'for i in 1 2 3; do /usr/bin/python3 -c "b=b\"x\"*(64<<20)"; sleep 1.5; done; sleep 3600' \
		</dev/null >"$work/oom.log" 2>&1 &
	runs+=($!)
	sleep 6
	netns=shots-$$
	ip netns add "$netns"
	sleep 3
	before=$(date +%H:%M:%S)
	sleep 1
	webcg=$(find /sys/fs/cgroup -type d -name demo-web -path "*/$parent/*" 2>/dev/null | while read -r d; do
		if [ -e "$d/cpu.max" ] || [ -e "$d/cpu.cfs_quota_us" ]; then echo "$d"; break; fi
	done)
	NSCOPE_STATE_DIR="$work/state" "$BIN" set "$webcg" --cpu 0.3 --yes >/dev/null
	sleep 3
	ip netns del "$netns"
	netns=""
	sleep 7 # a full scan sees the netns gone
	kill -INT "$recorder"
	wait "$recorder" || true
	TUI_CMD="$BIN --replay $rec" READY="recording rec" start 120 36
	shot replay 120 36 3 / type:demo Enter Down Down T type:"$before" Enter "}" wait:"nscope set" sleep:1.5
fi

# The tour, on its own lab: three steps, then the diagram D writes of the
# innermost pid namespace's neighbourhood (as SVG, drawn by nscope). q ends
# the tour, which removes the lab before it exits.
if [ "$(id -u)" = 0 ] && { wanted tour-ownership || wanted tour-nesting || wanted tour-veth || wanted tour-diagram; }; then
	TUI_CMD="$BIN tour --name nscope-shots-tour-$$" READY="Tour 1/8" start 120 40
	sleep 1
	shot tour-ownership 120 40 n n wait:"Tour 3/8" wait:"uid_map"
	shot tour-nesting 120 40 n wait:"Tour 4/8" wait:"init PIDs"
	if wanted tour-diagram; then
		tmux -L "$sock" send-keys -t shots D
		wait_for "wrote nscope-pid-"
		cp "$work"/nscope-pid-*.svg "$OUT/tour-diagram.svg"
		echo "wrote $OUT/tour-diagram.svg"
	fi
	shot tour-veth 120 40 n wait:"Tour 5/8" wait:"peer veth-blue"
	tmux -L "$sock" send-keys -t shots q
	for _ in $(seq 100); do
		tmux -L "$sock" has-session -t shots 2>/dev/null || break
		sleep 0.1
	done
fi
