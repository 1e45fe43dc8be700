#!/usr/bin/env bash
# The hybrid case: latency of GET / while a steady /compute load keeps the CPU work going, with
# the loop and the compute thread sharing one core (the server pinned to SERVER_CPU, one pool
# thread). For each server: `/` alone ("unloaded"), then `/` while COMPUTE_CONNS connections
# request /compute?n=N back to back ("loaded"). brigade offloads the computation to its pool
# (brigade::offload); asio does the same with a 1-thread asio::thread_pool, asio-inline computes
# on its loop (what not offloading costs). Both wrk instances run on CLIENT_CPU.
#
#   bench/net/run_hybrid.sh [--servers "brigade asio asio-inline"] [--n 5000000]
#                           [--hello-conns 4] [--compute-conns 2] [--pace-ms 1] [--duration 5]
#                           [--reps 3] [--raw FILE]
#
# --pace-ms P: each `/` connection waits P ms between a response and its next request (a light
# load, see paced.lua); 0 sends back to back (a closed loop that saturates the loop thread).
# stdout: one JSON line per result (medians over --reps), then a Markdown table.
set -euo pipefail
source "$(dirname "$0")/common.sh"

servers="brigade asio asio-inline"
n=5000000
hello_conns=4
compute_conns=2
pace_ms=1
duration=5
reps=3
raw=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --n) n=$2; shift 2 ;;
    --hello-conns) hello_conns=$2; shift 2 ;;
    --compute-conns) compute_conns=$2; shift 2 ;;
    --pace-ms) pace_ms=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --raw) raw=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need wrk taskset curl python3
raw=${raw:-$WORK/hybrid.jsonl}
: >"$raw"
machine_json | tee -a "$raw" >&2

hello_args=()
if ((pace_ms > 0)); then hello_args=(-s "$NET_DIR/paced.lua"); fi

# wrk on `/` for $duration seconds; prints "req_per_s p50_us p99_us".
hello_run() {
  local out="$WORK/hello.out" url="http://127.0.0.1:$1/"
  local args=("${hello_args[@]}" "$url")
  if ((pace_ms > 0)); then args+=(-- "$pace_ms"); fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$hello_conns" -d"${duration}s" --latency "${args[@]}" \
    >"$out" 2>&1 || die "wrk / failed: $(tail -n 3 "$out")"
  local requests seconds p50 p99 errors non2xx
  read -r requests seconds p50 p99 errors non2xx < <(parse_wrk "$out")
  ((requests > 0 && errors == 0 && non2xx == 0)) || die "wrk / had errors: $(cat "$out")"
  awk -v n="$requests" -v s="$seconds" -v a="$p50" -v b="$p99" 'BEGIN { printf "%.1f %s %s\n", n / s, a, b }'
}

record() {  # server phase rep hello_rps p50 p99 [compute_rps compute_p50 compute_p99]
  awk -v s="$1" -v ph="$2" -v rep="$3" -v rps="$4" -v p50="$5" -v p99="$6" -v crps="${7:-0}" \
    -v cp50="${8:-0}" -v cp99="${9:-0}" -v n="$n" -v hc="$hello_conns" -v cc="$compute_conns" \
    -v pace="$pace_ms" -v quiet="$quiet" 'BEGIN {
      printf "{\"bench\":\"hybrid\",\"server\":\"%s\",\"phase\":\"%s\",\"rep\":%d,\"pace_ms\":%d,", s, ph, rep, pace
      printf "\"hello_conns\":%d,\"compute_conns\":%d,\"n\":%d,", hc, cc, n
      printf "\"hello_req_per_s\":%.1f,\"hello_p50_us\":%.1f,\"hello_p99_us\":%.1f,", rps, p50, p99
      printf "\"compute_req_per_s\":%.2f,\"compute_p50_us\":%.1f,\"compute_p99_us\":%.1f,", crps, cp50, cp99
      printf "\"background_pct\":%d}\n", quiet
    }' | tee -a "$raw" >&2
}

measure() {
  local s=$1 rep=$2 rps p50 p99 hello
  start_server "$s"
  local body
  body=$(curl -s --max-time 30 "http://127.0.0.1:$SRV_PORT/compute?n=$n")
  [[ $body == "primes below $n: "* ]] || die "$s answered /compute with '$body'"
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$hello_conns" -d1s "http://127.0.0.1:$SRV_PORT/" >/dev/null

  quiet=$(wait_quiet)
  hello=$(hello_run "$SRV_PORT")
  read -r rps p50 p99 <<<"$hello"
  record "$s" unloaded "$rep" "$rps" "$p50" "$p99"

  # The compute load starts a second early and ends a second late: `/` is measured under it.
  local cout="$WORK/compute.out" cpid
  quiet=$(wait_quiet)
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$compute_conns" -d"$((duration + 2))s" --timeout 30s \
    --latency "http://127.0.0.1:$SRV_PORT/compute?n=$n" >"$cout" 2>&1 &
  cpid=$!
  STARTED_PIDS+=("$cpid")
  sleep 1
  hello=$(hello_run "$SRV_PORT")
  read -r rps p50 p99 <<<"$hello"
  local status=0
  wait "$cpid" || status=$?
  forget_pid "$cpid"
  ((status == 0)) || die "wrk /compute failed: $(tail -n 3 "$cout")"
  local creq csec cp50 cp99 cerr cnon
  read -r creq csec cp50 cp99 cerr cnon < <(parse_wrk "$cout")
  ((creq > 0 && cerr == 0 && cnon == 0)) || die "wrk /compute had errors: $(cat "$cout")"
  record "$s" loaded "$rep" "$rps" "$p50" "$p99" \
    "$(awk -v a="$creq" -v b="$csec" 'BEGIN { print a / b }')" "$cp50" "$cp99"
  stop_server "$SRV_PID"
}

quiet=0
for ((rep = 1; rep <= reps; rep++)); do
  for s in $servers; do measure "$s" "$rep"; done
done

python3 "$NET_DIR/summarize.py" hybrid "$raw"
