#!/usr/bin/env bash
# Soak: brigade's servers and pool under steady load for a long time, sampled every --interval
# seconds, to show what a leak or a slow drift would show: resident memory, open descriptors,
# errors and p99 latency over time.
#
#   bench/soak.sh [--minutes N] [--interval S] [--only "web kv pool"] [--connections C]
#
# Phases, one after another, each N minutes (default 10) and at least four samples; memory and
# descriptors are read between two load runs, so a leak shows as growth from sample to sample:
#   web   examples/web_server (one loop) under wrk -c C (default 100), one wrk run per interval:
#         its req/s, p99, socket errors and non-2xx answers, and the server's VmRSS and fds;
#   kv    examples/kv_server under redis-benchmark (SET and GET over 100,000 random keys), one
#         run of --kv-requests (default 100,000) per sample: req/s, p99, the server's VmRSS, fds;
#   pool  bench/soak's pool_soak: fork-join, task graphs and parallel_for on a pool, at least
#         10^8 tasks, every result checked: tasks run, VmRSS, fds, wrong results.
# Pass, per phase: RSS and fds grow by less than 1% after warm-up (the median of the last quarter
# of the samples against that of the second; the first quarter is warm-up), no errors, and p99
# steady (the last quarter's median at most 1.5 times the second's). The script prints a
# Markdown table per phase and a verdict line, and exits 1 if a phase fails.
#
# Environment: BUILD (directory holding web_server, kv_server and pool_soak; default
# build/bench), SERVER_CPU (0), CLIENT_CPU (1).
set -euo pipefail
SOAK_DIR=$(cd "$(dirname "$0")" && pwd)
# bench/net's helpers: find_bin, free_port, start_server, stop_server, parse_wrk, status_kb, ...
source "$SOAK_DIR/net/common.sh"

minutes=10
interval=10
only="web kv pool"
connections=100
kv_requests=100000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --kv-requests) kv_requests=$2; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $minutes =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--minutes must be a number of minutes, not '$minutes'"
[[ $interval =~ ^[0-9]+$ && $interval -gt 0 ]] || die "--interval must be whole seconds > 0, not '$interval'"
[[ $connections =~ ^[0-9]+$ && $connections -gt 0 ]] || die "--connections must be > 0, not '$connections'"
[[ $kv_requests =~ ^[0-9]+$ && $kv_requests -gt 0 ]] || die "--kv-requests must be > 0, not '$kv_requests'"
for phase in $only; do
  [[ $phase == web || $phase == kv || $phase == pool ]] || die "unknown phase '$phase' in --only (web, kv, pool)"
done
phase_seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
failed=0

fds_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# verdict NAME FILE: FILE has one sample per line, "seconds rss_kb fds errors p99_us" (p99 "-"
# when the phase has none). The first quarter of the samples is warm-up (caches, a keyspace
# filling); growth compares the median of the second quarter with that of the last, so one sample
# caught mid-close or between two malloc trims does not count, and a leak does. Prints the
# verdict; sets failed=1 when it fails.
verdict() {
  local name=$1 file=$2 line
  line=$(awk '
    { rss[NR] = $2; fds[NR] = $3; err += $4; p99[NR] = $5 }
    # The median of column a[from..to], "-" entries skipped; -1 when there is none.
    function median(a, from, to,   n, i, j, v, tmp) {
      n = 0
      for (i = from; i <= to; i++) if (a[i] != "-") v[++n] = a[i] + 0
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { tmp = v[j]; v[j] = v[j - 1]; v[j - 1] = tmp }
      if (n == 0) return -1
      return (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    function growth(a,   b, e) {
      b = median(a, q + 1, 2 * q); e = median(a, NR - q + 1, NR)
      return b > 0 ? (e - b) * 100 / b : 0
    }
    END {
      if (NR < 4) { print "FAIL too few samples (" NR "): run longer or sample more often"; exit }
      q = int(NR / 4)
      rss_growth = growth(rss); fds_growth = growth(fds)
      first = median(p99, q + 1, 2 * q); last = median(p99, NR - q + 1, NR)
      p99_ratio = (first > 0 && last > 0) ? last / first : 1
      ok = rss_growth < 1 && fds_growth < 1 && err == 0 && p99_ratio <= 1.5
      printf "%s RSS %+.2f%%, fds %+.2f%% (median of the last quarter against the second), " \
             "%d errors, p99 last/second quarter %.2f", \
             ok ? "PASS" : "FAIL", rss_growth, fds_growth, err, p99_ratio
    }' "$file")
  echo
  echo "$name: $line"
  [[ $line == PASS* ]] || failed=1
}

web_phase() {
  need wrk curl taskset
  start_server brigade
  local samples="$WORK/web.samples" end=$((SECONDS + phase_seconds)) out="$WORK/wrk.out"
  local req sec p50 p99 err non2xx rps rss fds
  : >"$samples"
  echo "## web: examples/web_server, wrk -c $connections, ${minutes} min, a sample every ${interval} s"
  echo
  echo "| s | req/s | p99 µs | errors | non-2xx | RSS KiB | fds |"
  echo "|---|---|---|---|---|---|---|"
  while ((SECONDS < end || $(wc -l <"$samples") < 4)); do
    taskset -c "$CLIENT_CPU" wrk -t 1 -c "$connections" -d "${interval}s" --latency \
      "http://127.0.0.1:$SRV_PORT/" >"$out" 2>&1 || true
    read -r req sec p50 p99 err non2xx < <(parse_wrk "$out")
    sleep 1  # the server closes wrk's connections (FIN, then it reads until they close)
    rps=$(awk -v r="$req" -v s="$sec" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
    rss=$(status_kb "$SRV_PID" VmRSS)
    fds=$(fds_of "$SRV_PID")
    [[ -n $rss ]] || die "web_server exited during the soak: $(tail -n 5 "$WORK/brigade.log")"
    echo "| $((SECONDS - end + phase_seconds)) | $rps | $p99 | $err | $non2xx | $rss | $fds |"
    echo "$SECONDS $rss $fds $((err + non2xx + (req == 0))) $p99" >>"$samples"
  done
  stop_server "$SRV_PID"
  verdict web "$samples"
}

kv_phase() {
  need redis-benchmark redis-cli taskset
  local port pid samples="$WORK/kv.samples" end rss fds row rps p99 bad
  start_kv brigade
  port=$KV_PORT
  pid=$KV_PID
  : >"$samples"
  end=$((SECONDS + phase_seconds))
  echo "## kv: examples/kv_server, redis-benchmark -t set,get -r 100000 -n $kv_requests per sample, ${minutes} min"
  echo
  echo "| s | req/s | p99 µs | errors | RSS KiB | fds |"
  echo "|---|---|---|---|---|---|"
  while ((SECONDS < end || $(wc -l <"$samples") < 4)); do
    bad=0
    # The last CSV row (GET): "test,rps,avg,min,p50,p95,p99,max" in ms.
    row=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 50 -t set,get -r 100000 \
      -n "$kv_requests" --csv 2>"$WORK/kv.err" | tail -n 1 | tr -d '"') || bad=1
    [[ -s $WORK/kv.err ]] && bad=1
    rps=$(cut -d, -f2 <<<"$row")
    p99=$(awk -F, '{ printf "%.0f", $7 * 1000 }' <<<"$row")
    [[ $rps =~ ^[0-9.]+$ ]] || { bad=1; rps=0; p99=-; }
    rss=$(status_kb "$pid" VmRSS)
    fds=$(fds_of "$pid")
    [[ -n $rss ]] || die "kv_server exited during the soak: $(tail -n 5 "$KV_LOG")"
    echo "| $((SECONDS - end + phase_seconds)) | ${rps%.*} | $p99 | $bad | $rss | $fds |"
    echo "$SECONDS $rss $fds $bad $p99" >>"$samples"
  done
  stop_server "$pid"
  verdict kv "$samples"
}

pool_phase() {
  local bin samples="$WORK/pool.samples" out="$WORK/pool.out" status=0
  find_bin pool_soak bin
  echo "## pool: pool_soak (fork-join, task graphs, parallel_for), ${minutes} min and at least 10^8 tasks"
  echo
  echo "| s | tasks | RSS KiB | fds | wrong results |"
  echo "|---|---|---|---|---|"
  : >"$samples"
  "$bin" --minutes "$minutes" --interval "$interval" --tasks 100000000 >"$out" || status=$?
  sed -n 's/^sample seconds=\([0-9.]*\) tasks=\([0-9]*\) rss_kb=\([0-9]*\) fds=\([0-9]*\) errors=\([0-9]*\)$/| \1 | \2 | \3 | \4 | \5 |/p' "$out"
  sed -n 's/^sample seconds=\([0-9.]*\) tasks=[0-9]* rss_kb=\([0-9]*\) fds=\([0-9]*\) errors=\([0-9]*\)$/\1 \2 \3 \4 -/p' "$out" >"$samples"
  if ((status != 0)); then echo "0 0 0 1 -" >>"$samples"; fi
  verdict pool "$samples"
}

machine_json
for phase in $only; do
  echo
  "${phase}_phase"
done
exit "$failed"
