#!/usr/bin/env bash
# examples/kv_server against redis-server, in the same run, both pinned to SERVER_CPU (server
# threads and all) with redis-benchmark on CLIENT_CPU:
#  1. throughput: redis-benchmark -c CLIENTS -t get,set,incr,mset and a 10-key MGET, with -P 1
#     and -P 16: req/s and the server's CPU per request (its utime + stime over the requests);
#  2. the hybrid: the server's resident memory with --keys keys loaded; GET p99 and max from
#     redis-benchmark, first alone, then while another client runs KEYS over them back to
#     back (a pattern that scans them all and matches ~100). Redis runs KEYS on its one
#     thread, so every GET waits; kv_server runs it on its pool.
#
#   bench/kv/run_kv.sh [--servers "brigade brigade-uring redis"] [--requests 200000] [--clients 50]
#                      [--keys 2000000] [--hybrid-requests 100000] [--raw FILE]
#
# Servers: brigade (its default backend), brigade-epoll, brigade-uring, brigade-base (kv_server
# from BASE_BUILD, for before/after comparisons in one run) and redis.
# Environment: BUILD (directory holding kv_server; default build/bench, then build/release),
# SERVER_CPU (0), CLIENT_CPU (1), QUIET_WAIT. stdout: one JSON line per result, then Markdown.
set -euo pipefail
KV_DIR=$(cd "$(dirname "$0")" && pwd)
# bench/net's helpers: find_bin, free_port, proc_jiffies, wait_quiet, die, need, cleanup.
source "$KV_DIR/../net/common.sh"
if [[ ! -d $BUILD && -d $REPO_DIR/build/release ]]; then BUILD=$REPO_DIR/build/release; fi

servers="brigade redis"
requests=200000
clients=50
keys=2000000
hybrid_requests=100000
raw=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --keys) keys=$2; shift 2 ;;
    --hybrid-requests) hybrid_requests=$2; shift 2 ;;
    --raw) raw=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need redis-server redis-benchmark redis-cli taskset python3
raw=${raw:-$WORK/kv.jsonl}
: >"$raw"

# start NAME: sets PID and PORT; the server (every thread of it) runs on $SERVER_CPU.
# Starts one of the servers start_kv knows; PORT and PID name it for the rest of this script.
start() {
  start_kv "$1"
  PORT=$KV_PORT
  PID=$KV_PID
}

stop() {
  kill -TERM "$PID" && wait "$PID" || true
}

# bench ARGS...: redis-benchmark on $CLIENT_CPU; prints "rps p50 p99 max" of its (last) CSV row.
bench() {
  taskset -c "$CLIENT_CPU" redis-benchmark -p "$PORT" -c "$clients" --csv "$@" 2>/dev/null |
    tail -n 1 | tr -d '"' | awk -F, '{ print $2, $5, $7, $8 }'
}

json() { echo "$1" | tee -a "$raw"; }

commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
json "{\"machine\":\"$(uname -srm)\",\"cores\":$(nproc),\"commit\":\"$commit\",\"redis\":\"$(redis-server --version | awk '{print $3}')\"}"

mget_args=(MGET)
for i in $(seq 10); do mget_args+=("key:__rand_int__"); done

# --- 1. throughput and CPU per request ---
for server in $servers; do
  start "$server"
  redis-cli -p "$PORT" FLUSHALL >/dev/null
  for p in 1 16; do
    n=$requests
    if ((p > 1)); then n=$((requests * 4)); fi
    for t in get set incr mset mget; do
      bg=$(QUIET_WAIT=${QUIET_WAIT:-5} wait_quiet)
      j0=$(proc_jiffies "$PID")
      if [[ $t == mget ]]; then
        read -r rps p50 p99 max < <(bench -n "$n" -P "$p" -r 100000 "${mget_args[@]}")
      else
        read -r rps p50 p99 max < <(bench -n "$n" -P "$p" -r 100000 -t "$t")
      fi
      j1=$(proc_jiffies "$PID")
      us=$(awk -v j=$((j1 - j0)) -v hz="$HZ" -v n="$n" 'BEGIN { printf "%.2f", j / hz * 1e6 / n }')
      json "{\"part\":\"throughput\",\"server\":\"$server\",\"test\":\"$t\",\"pipeline\":$p,\"clients\":$clients,\"requests\":$n,\"rps\":$rps,\"cpu_us_per_req\":$us,\"p50_ms\":$p50,\"p99_ms\":$p99,\"background_pct\":$bg}"
    done
  done
  stop
done

# --- 2. the hybrid: GET latency while KEYS scans the table ---
load_table() {
  python3 - "$keys" <<'EOF' | taskset -c "$CLIENT_CPU" redis-cli -p "$PORT" --pipe >/dev/null
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
for start in range(0, n, 1000):
    args = [b"MSET"]
    for i in range(start, min(n, start + 1000)):
        args += [b"key:%d" % i, b"%d" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
EOF
}

for server in $servers; do
  start "$server"
  load_table
  size=$(redis-cli -p "$PORT" DBSIZE)
  ((size == keys)) || die "$server holds $size keys, not $keys"
  rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status")
  bg=$(QUIET_WAIT=${QUIET_WAIT:-5} wait_quiet)
  read -r rps p50 p99 max < <(bench -n "$hybrid_requests" -r "$keys" -t get)
  json "{\"part\":\"hybrid\",\"server\":\"$server\",\"keys_running\":false,\"rss_kib\":$rss_kib,\"rps\":$rps,\"p50_ms\":$p50,\"p99_ms\":$p99,\"max_ms\":$max,\"background_pct\":$bg}"
  # KEYS back to back from another client (on the client core), during the whole GET run.
  (
    while :; do
      start_ns=$(date +%s%N)
      taskset -c "$CLIENT_CPU" redis-cli -p "$PORT" KEYS '*:1999??' >/dev/null 2>&1 || exit 0
      echo $((($(date +%s%N) - start_ns) / 1000000)) >>"$WORK/keys_ms"
    done
  ) &
  keys_pid=$!
  : >"$WORK/keys_ms"
  read -r rps p50 p99 max < <(bench -n "$hybrid_requests" -r "$keys" -t get)
  kill "$keys_pid" 2>/dev/null || true
  wait "$keys_pid" 2>/dev/null || true
  runs=$(wc -l <"$WORK/keys_ms")
  keys_ms=$(sort -n "$WORK/keys_ms" | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }')
  json "{\"part\":\"hybrid\",\"server\":\"$server\",\"keys_running\":true,\"keys_runs\":$runs,\"keys_ms_median\":$keys_ms,\"rps\":$rps,\"p50_ms\":$p50,\"p99_ms\":$p99,\"max_ms\":$max}"
  stop
done

python3 "$KV_DIR/summarize.py" "$raw"
