#!/usr/bin/env bash
# Per-request costs that do not depend on how busy the machine is: for each server under a
# keep-alive wrk load, `perf stat` on the server process counts system calls, io_uring
# submissions, context switches and (through a uprobe on libc's malloc) heap allocations, and
# divides them by the requests wrk completed. Needs perf and root (tracepoints, uprobes). The
# malloc uprobe is added for the run and removed at the end if this script added it.
#
#   bench/net/profile_http.sh [--servers "brigade brigade-epoll nginx asio libuv"] [--conns 100]
#                             [--depth 1] [--duration 3]
set -euo pipefail
source "$(dirname "$0")/common.sh"

servers="brigade brigade-epoll nginx asio libuv"
conns=100
depth=1
duration=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --servers) servers=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --depth) depth=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need perf wrk taskset curl

libc=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }')
events=raw_syscalls:sys_enter,io_uring:io_uring_submit_req,context-switches
added_probe=0
if perf list 2>/dev/null | grep -q 'probe_libc:malloc'; then
  events+=,probe_libc:malloc
elif [[ -n $libc ]] && perf probe -q -x "$libc" malloc 2>/dev/null; then
  added_probe=1
  events+=,probe_libc:malloc
else
  echo "profile_http.sh: no uprobe on malloc (not root?): allocations are not counted" >&2
fi
remove_probe() {
  if ((added_probe)); then perf probe -q -d probe_libc:malloc 2>/dev/null || true; fi
  cleanup
}
trap remove_probe EXIT

echo "| server | requests | syscalls/req | io_uring SQEs/req | context switches/req | mallocs/req |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for s in $servers; do
  start_server "$s"
  url="http://127.0.0.1:$SRV_PORT/"
  args=("$url")
  if ((depth > 1)); then args=(-s "$NET_DIR/pipeline.lua" "$url" -- "$depth"); fi
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d1s "${args[@]}" >/dev/null  # warm up
  perf stat -x, -e "$events" -p "$SRV_PID" -o "$WORK/stat.out" &
  perf_pid=$!
  STARTED_PIDS+=("$perf_pid")
  sleep 0.3
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${duration}s" "${args[@]}" >"$WORK/wrk.out"
  sleep 0.3
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  forget_pid "$perf_pid"
  stop_server "$SRV_PID"
  requests=$(awk '/ requests in / { print $1 }' "$WORK/wrk.out")
  awk -F, -v s="$s" -v r="$requests" '
    /^[0-9]/ { v[$3] = $1 / r }
    END {
      printf "| %s | %d | %.2f | %.2f | %.3f | %s |\n", s, r, v["raw_syscalls:sys_enter"],
        v["io_uring:io_uring_submit_req"], v["context-switches"],
        ("probe_libc:malloc" in v) ? sprintf("%.2f", v["probe_libc:malloc"]) : "–"
    }' "$WORK/stat.out"
done
