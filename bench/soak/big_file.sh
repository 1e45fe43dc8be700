#!/usr/bin/env bash
# A large file to many clients at once: examples/web_server --root serving one file of --size-mib
# (default 1024, i.e. 1 GiB) to --clients curl downloads at the same time (default 100), its
# resident memory sampled every --interval seconds (default 0.5) while they run.
#
#   bench/soak/big_file.sh [--size-mib N] [--clients C] [--interval S] [--budget-mib B]
#
# Every download must end with status 200 and exactly the file's size. Pass: the server's VmRSS
# never grows by more than --budget-mib (default 32) over its level before the downloads, which a
# server that streams the file in chunks meets (100 clients × one 64 KiB chunk is 6.4 MiB) and
# one that reads files into memory misses by a hundred times. The file is written once with real
# blocks (not sparse), so the server reads it through the page cache as it would any file; it
# needs --size-mib of space in $TMPDIR (default /tmp).
#
# Environment: BUILD (directory holding web_server; default build/bench), SERVER_CPU (0),
# CLIENT_CPU (1).
set -euo pipefail
SOAK_DIR=$(cd "$(dirname "$0")" && pwd)
# bench/net's helpers: find_bin, need, die, status_kb, STARTED_PIDS and cleanup of $WORK.
source "$SOAK_DIR/../net/common.sh"

size_mib=1024
clients=100
interval=0.5
budget_mib=32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --size-mib) size_mib=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --budget-mib) budget_mib=$2; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $size_mib =~ ^[0-9]+$ && $size_mib -gt 0 ]] || die "--size-mib must be a whole number > 0, not '$size_mib'"
[[ $clients =~ ^[0-9]+$ && $clients -gt 0 ]] || die "--clients must be a whole number > 0, not '$clients'"
[[ $interval =~ ^[0-9]*[.]?[0-9]+$ ]] || die "--interval must be a number of seconds, not '$interval'"
[[ $budget_mib =~ ^[0-9]+$ && $budget_mib -gt 0 ]] || die "--budget-mib must be a whole number > 0, not '$budget_mib'"
need curl taskset

root="$WORK/root"
mkdir -p "$root"
echo "writing a ${size_mib} MiB file under $root ..."
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$root/big.bin"
size=$(stat -c %s "$root/big.bin")

find_bin web_server bin
log="$WORK/web_server.log"
taskset -c "$SERVER_CPU" "$bin" --port 0 --loops 1 --threads 1 --root "$root" \
  --idle-timeout 600 --max-connections 100000 >"$log" 2>&1 &
pid=$!
STARTED_PIDS+=("$pid")
port=""
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || die "web_server exited at start: $(tail -n 5 "$log")"
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p;T;q' "$log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || die "web_server did not start listening: $(tail -n 5 "$log")"
url="http://127.0.0.1:$port/big.bin"
# One small request first, so the level measured before is that of a server that has served.
curl -s -o /dev/null --range 0-0 "$url" || die "web_server does not serve $url"
sleep 0.5
before=$(status_kb "$pid" VmRSS)

echo "serving $size bytes to $clients clients at once (server on core $SERVER_CPU, curl on core $CLIENT_CPU)"
results="$WORK/results"
: >"$results"
start=$SECONDS
client_pids=()
for ((i = 0; i < clients; i++)); do
  taskset -c "$CLIENT_CPU" curl -s -o /dev/null --max-time 1800 \
    -w '%{http_code} %{size_download}\n' "$url" >>"$results" 2>/dev/null &
  client_pids+=("$!")
done
peak=$before
samples=0
while :; do
  running=0
  for p in "${client_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then running=1; break; fi
  done
  rss=$(status_kb "$pid" VmRSS)
  [[ -n $rss ]] || die "web_server exited while serving: $(tail -n 5 "$log")"
  ((rss > peak)) && peak=$rss
  samples=$((samples + 1))
  ((running)) || break
  sleep "$interval"
done
for p in "${client_pids[@]}"; do wait "$p" || true; done
seconds=$((SECONDS - start))
after=$(status_kb "$pid" VmRSS)
hwm=$(status_kb "$pid" VmHWM)

complete=$(awk -v s="$size" '$1 == 200 && $2 == s' "$results" | wc -l)
total=$(awk '{ b += $2 } END { printf "%.0f", b }' "$results")
growth=$((peak - before))
echo
echo "| file | clients | complete | bytes sent | seconds | GiB/s | RSS before | peak (sampled) | VmHWM | after | peak growth |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk -v f="$size_mib" -v c="$clients" -v ok="$complete" -v t="$total" -v s="$seconds" \
  -v b="$before" -v p="$peak" -v h="$hwm" -v a="$after" -v g="$growth" 'BEGIN {
    printf "| %d MiB | %d | %d | %.0f | %d | %.2f | %d KiB | %d KiB | %d KiB | %d KiB | %+d KiB |\n",
      f, c, ok, t, s, (s > 0 ? t / s / 2^30 : 0), b, p, h, a, g }'
echo
echo "$samples samples of VmRSS every ${interval} s"
stop_server "$pid"
if ((complete != clients)); then
  echo "FAIL: $((clients - complete)) of $clients downloads did not get all $size bytes with status 200"
  exit 1
fi
if ((growth > budget_mib * 1024)); then
  echo "FAIL: RSS grew by $growth KiB while serving, more than the budget of $budget_mib MiB"
  exit 1
fi
echo "PASS: every client got the whole file; RSS grew by $growth KiB at most (budget $budget_mib MiB)"
