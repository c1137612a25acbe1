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
# As root it also runs "nscope tour" (which builds and removes its own
# lab) for the tour's screenshots and the diagram D exports there.
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
sock=nscope-shots-$$
parent=nscope-shots-$$
runs=()
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
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

# shot NAME COLS ROWS KEYS...: start the TUI at COLSxROWS (once per size),
# press KEYS (tmux key names; "wait:TEXT" waits for TEXT on screen,
# "type:TEXT" types it), capture and render to OUT/NAME.png.
session_size=""
start() {
	local cols=$1 rows=$2
	tmux -L "$sock" kill-server 2>/dev/null || true
	tmux -L "$sock" -f /dev/null new-session -d -s shots -x "$cols" -y "$rows" -c "$work" \
		"env COLORTERM=truecolor TERM=xterm-256color NSCOPE_STATE_DIR=$work/state ${TUI_CMD:-$BIN}"
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
	tmux -L "$sock" send-keys -t shots Escape
	sleep 0.5 # an escape followed at once by a key reads as alt+key
fi
shot help 120 36 "?" wait:"nscope keys"
shot wide-cgroups 200 56 3 / type:demo Enter wait:"HISTORY"

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
