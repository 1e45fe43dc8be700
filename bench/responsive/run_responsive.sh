#!/usr/bin/env bash
# Measures examples/responsive in a real terminal (a detached tmux session): the largest gap
# between frames and the largest key-to-screen latency while the Mandelbrot work runs, on the
# pool and with --inline. Prints one JSON line per run (the program's --json).
#   BUILD=build/release bench/responsive/run_responsive.sh [--size N] [--nice N] [--inline] ...
# Keys: s, then an `x` (ignored, but drawn) every 0.25 s for KEYS_SECONDS (default 4) while the
# work runs, then c (cancel), then q. Under --inline the keys wait for the work to end.
# WORK=0 leaves out the s: the same keys and frames with no work, the machine's own noise.
set -euo pipefail
build="${BUILD:-build/release}"
prog="$PWD/$build/examples/responsive/responsive"
[ -x "$prog" ] || { echo "run_responsive.sh: no $prog (cmake --build --preset release --target responsive)" >&2; exit 1; }
dir=$(mktemp -d)
t() { tmux -S "$dir/tmux.sock" -f /dev/null "$@"; }
trap 't kill-server 2>/dev/null || true; rm -rf "$dir"' EXIT

t new-session -d -s bench -x 200 -y 20 "'$prog' --json $*; touch '$dir/done'; sleep 60"
until t capture-pane -p -t bench | grep -q 'frame [0-9]'; do sleep 0.05; done
sleep 1
[ "${WORK:-1}" = 0 ] || t send-keys -t bench s
for _ in $(seq $((${KEYS_SECONDS:-4} * 4))); do
  sleep 0.25
  t send-keys -t bench x
done
t send-keys -t bench c
sleep 0.5
t send-keys -t bench q
until [ -f "$dir/done" ]; do sleep 0.1; done
t capture-pane -p -J -S - -t bench | grep -o '{.*}'
