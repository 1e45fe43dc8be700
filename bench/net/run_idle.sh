#!/usr/bin/env bash
# Memory per idle keep-alive connection: idle_client opens N connections to a freshly started
# server (each sends one GET / and reads the answer, then stays idle), and the server's resident
# memory (VmRSS) is read before and while they are held. Reported: (RSS holding - RSS before) / N.
# The kernel's socket buffers are not in a process's RSS: this is the server's own cost.
#
#   bench/net/run_idle.sh [--servers "brigade nginx asio libuv"] [--connections 10000]
#                         [--reps 3] [--no-request] [--raw FILE]
#
# stdout: one JSON line per result (medians over --reps), then a Markdown table.
set -euo pipefail
source "$(dirname "$0")/common.sh"

servers="brigade nginx asio libuv"
connections=10000
reps=3
request=()
raw=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --no-request) request=(--no-request); shift ;;
    --raw) raw=$2; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need taskset curl python3
find_bin idle_client idle_client
raw=${raw:-$WORK/idle.jsonl}
: >"$raw"
# Each connection is a descriptor on both sides: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) > connections + 100)) ||
  die "the descriptor limit $(ulimit -n) is too low for $connections connections (raise the hard limit)"

machine_json | tee -a "$raw" >&2

measure() {
  local s=$1 rep=$2 ready="$WORK/ready" client before after i
  start_server "$s"
  # The warm-up request of start_server has been served; let the server settle.
  sleep 0.5
  before=$(status_kb "$SRV_PID" VmRSS)
  rm -f "$ready"
  taskset -c "$CLIENT_CPU" "$idle_client" --port "$SRV_PORT" --connections "$connections" \
    --ready-file "$ready" "${request[@]}" >"$WORK/client.log" 2>&1 &
  client=$!
  STARTED_PIDS+=("$client")
  for ((i = 0; i < 1200; i++)); do
    [[ -e $ready ]] && break
    kill -0 "$client" 2>/dev/null || die "idle_client failed against $s: $(cat "$WORK/client.log")"
    sleep 0.1
  done
  [[ -e $ready ]] || die "idle_client did not open $connections connections to $s in 120 s"
  sleep 1  # whatever the server does on accept is done
  after=$(status_kb "$SRV_PID" VmRSS)
  kill -0 "$client" 2>/dev/null || die "$s closed held connections: $(cat "$WORK/client.log")"
  kill -TERM "$client"
  local status=0
  wait "$client" || status=$?
  forget_pid "$client"
  ((status == 0)) || die "$s closed held connections: $(cat "$WORK/client.log")"
  stop_server "$SRV_PID"
  awk -v s="$s" -v n="$connections" -v rep="$rep" -v b="$before" -v a="$after" \
    -v used=$((${#request[@]} == 0)) 'BEGIN {
      printf "{\"bench\":\"idle\",\"server\":\"%s\",\"connections\":%d,\"after_request\":%s,\"rep\":%d,", s, n, used ? "true" : "false", rep
      printf "\"rss_before_kb\":%d,\"rss_after_kb\":%d,\"bytes_per_conn\":%.1f}\n", b, a, (a - b) * 1024 / n
    }' | tee -a "$raw" >&2
}

for ((rep = 1; rep <= reps; rep++)); do
  for s in $servers; do measure "$s" "$rep"; done
done

python3 "$NET_DIR/summarize.py" idle "$raw"
