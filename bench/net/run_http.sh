#!/usr/bin/env bash
# HTTP keep-alive "Hello, World!" on loopback: brigade's web_server against nginx, Asio and
# libuv, all in the same run. Each server is pinned to one core (SERVER_CPU, default 0) and wrk
# to the other (CLIENT_CPU, default 1). On two cores wrk saturates its own core at about the
# speed of a good server, so req/s alone cannot rank servers: the script also reports the server
# core's busy time per request (from /proc/stat), latency percentiles, and req/s with 16-deep
# pipelining.
#
#   bench/net/run_http.sh [--servers "brigade nginx asio libuv"] [--conns "10 100 1000"]
#                         [--pipeline-conns "256"] [--depth 16] [--duration 5] [--reps 3]
#                         [--raw FILE]
#
# stdout: one JSON line per result (medians over --reps), then Markdown tables with ratios to
# nginx. stderr: one JSON line per run as it finishes. Every run of every server is in FILE too.
set -euo pipefail
source "$(dirname "$0")/common.sh"

servers="brigade nginx asio libuv"
conns="10 100 1000"
pipeline_conns="256"
depth=16
duration=5
reps=3
raw=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --pipeline-conns) pipeline_conns=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --raw) raw=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need wrk taskset curl python3
raw=${raw:-$WORK/http.jsonl}
: >"$raw"
ulimit -n "$(ulimit -Hn)"  # 1000 connections, and wrk's own

machine_json | tee -a "$raw" >&2
declare -A port pid
for s in $servers; do
  start_server "$s"
  port[$s]=$SRV_PORT
  pid[$s]=$SRV_PID
  # Warm up: page in the code, grow the buffers, let the allocator settle.
  taskset -c "$CLIENT_CPU" wrk -t1 -c100 -d1s "http://127.0.0.1:$SRV_PORT/" >/dev/null
done

# One run: wrk against server $1 with $2 connections, $3 requests per write.
#   cpu_us_per_req   the server core's busy time (/proc/stat: user+nice+system+irq+softirq) per
#                    request, kernel network stack included; it also counts anything else that
#                    ran on that core
#   proc_us_per_req  the server process's own CPU time (utime+stime, which include the softirq
#                    work done while it ran) per request: robust to other processes on the core
#   other_pct        core busy time not charged to the server (other processes, softirq work
#                    while the server slept), as a share of the run: large means a shared core
measure() {
  local s=$1 c=$2 pipe=$3 rep=$4 out="$WORK/wrk.out" quiet
  local args=("http://127.0.0.1:${port[$s]}/")
  if ((pipe > 1)); then args=(-s "$NET_DIR/pipeline.lua" "${args[@]}" -- "$pipe"); fi
  quiet=$(wait_quiet)
  local cpu0 proc0 cpu1 proc1
  cpu0=$(cpu_busy "$SERVER_CPU")
  proc0=$(proc_jiffies "${pid[$s]}")
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"${duration}s" --latency "${args[@]}" >"$out" 2>&1 ||
    die "wrk failed against $s: $(tail -n 3 "$out")"
  cpu1=$(cpu_busy "$SERVER_CPU")
  proc1=$(proc_jiffies "${pid[$s]}")
  kill -0 "${pid[$s]}" 2>/dev/null || die "$s died during the run"
  local requests seconds p50 p99 errors non2xx
  read -r requests seconds p50 p99 errors non2xx < <(parse_wrk "$out")
  [[ $requests -gt 0 ]] || die "no requests completed against $s: $(cat "$out")"
  awk -v s="$s" -v c="$c" -v pipe="$pipe" -v rep="$rep" -v n="$requests" -v sec="$seconds" \
    -v p50="$p50" -v p99="$p99" -v err="$errors" -v non2xx="$non2xx" -v hz="$HZ" -v quiet="$quiet" \
    -v cpu=$((cpu1 - cpu0)) -v proc=$((proc1 - proc0)) 'BEGIN {
      other = cpu - proc; if (other < 0) other = 0
      lat = pipe > 1 ? "null" : "x"  # wrk does not time pipelined requests one by one
      printf "{\"bench\":\"http\",\"server\":\"%s\",\"conns\":%d,\"pipeline\":%d,\"rep\":%d,", s, c, pipe, rep
      printf "\"requests\":%d,\"seconds\":%.2f,\"req_per_s\":%.1f,", n, sec, n / sec
      if (lat == "null") printf "\"p50_us\":null,\"p99_us\":null,"
      else printf "\"p50_us\":%.1f,\"p99_us\":%.1f,", p50, p99
      printf "\"cpu_us_per_req\":%.3f,\"proc_us_per_req\":%.3f,", cpu * 1e6 / hz / n, proc * 1e6 / hz / n
      printf "\"core_busy_pct\":%.1f,\"other_pct\":%.1f,\"background_pct\":%d,", 100 * cpu / hz / sec, 100 * other / hz / sec, quiet
      printf "\"errors\":%d,\"non2xx\":%d}\n", err, non2xx
    }' | tee -a "$raw" >&2
}

# Interleaved: every repetition runs every server at every setting in turn, so a noisy moment
# on this shared machine hits all of them alike.
for ((rep = 1; rep <= reps; rep++)); do
  for c in $conns; do
    for s in $servers; do measure "$s" "$c" 1 "$rep"; done
  done
  for c in $pipeline_conns; do
    for s in $servers; do measure "$s" "$c" "$depth" "$rep"; done
  done
done
for s in $servers; do stop_server "${pid[$s]}"; done

python3 "$NET_DIR/summarize.py" http "$raw"
