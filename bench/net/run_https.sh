#!/usr/bin/env bash
# HTTPS keep-alive "Hello, World!" on loopback: brigade's web_server --tls-cert against nginx with
# the same certificate (a P-256 key made by tests/tls/make_certs.sh), TLS 1.3 and the same cipher
# suite, in the same run. Each server is pinned to SERVER_CPU and wrk to CLIENT_CPU, as in
# run_http.sh; reported: requests per second, and the server process's CPU time per request
# (proc_us_per_req) and its core's (cpu_us_per_req, kernel included). The negotiated suite is
# checked with `openssl s_client` against both servers before measuring.
#
#   bench/net/run_https.sh [--conns "10 100"] [--duration 5] [--reps 3] [--suite NAME]
#
# BUILD: the build directory with web_server (default build/bench; build/release works too).
# stdout: one JSON line per run, then a Markdown table of medians with ratios to nginx.
set -euo pipefail
source "$(dirname "$0")/common.sh"

conns="10 100"
duration=5
reps=3
suite=TLS_AES_256_GCM_SHA384  # OpenSSL's first TLS 1.3 choice: web_server's default
while [[ $# -gt 0 ]]; do
  case "$1" in
    --conns) conns=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --suite) suite=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need wrk taskset curl openssl nginx python3
"$REPO_DIR/tests/tls/make_certs.sh" "$WORK/certs" >/dev/null
cert=$WORK/certs/server.pem
key=$WORK/certs/server.key
raw=$WORK/https.jsonl

machine_json | tee -a "$raw" >&2
declare -A port pid

# Starts server $1 (brigade or nginx) pinned to SERVER_CPU; sets port[$1] and pid[$1].
start_https() {
  local name=$1 log="$WORK/$1.log" cmd=() p="" bin i
  if [[ $name == brigade ]]; then
    find_bin web_server bin
    # web_server takes OpenSSL's default TLS 1.3 suites; the client (wrk) is offered only --suite
    # through nginx's side, so check below that both negotiate the same one.
    cmd=("$bin" --port 0 --loops 1 --threads 1 --idle-timeout 600 --max-connections 100000
         --tls-cert "$cert" --tls-key "$key")
  else
    local prefix="$WORK/nginx"
    p=$(free_port 18443)
    mkdir -p "$prefix/tmp"
    sed -e "s|PORT|$p|" -e "s|CERT|$cert|" -e "s|KEY|$key|" -e "s|SUITE|$suite|" \
      "$NET_DIR/nginx_https.conf" >"$prefix/nginx.conf"
    cmd=(nginx -p "$prefix" -e stderr -c "$prefix/nginx.conf")
  fi
  taskset -c "$SERVER_CPU" "${cmd[@]}" >"$log" 2>&1 &
  pid[$name]=$!
  STARTED_PIDS+=("${pid[$name]}")
  for ((i = 0; i < 100; i++)); do
    kill -0 "${pid[$name]}" 2>/dev/null || die "$name exited at start: $(tail -n 5 "$log")"
    [[ -n $p ]] || p=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p;T;q' "$log")
    if [[ -n $p ]] && (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then break; fi
    sleep 0.1
  done
  port[$name]=$p
  local body
  body=$(curl -s --max-time 5 --cacert "$WORK/certs/ca.pem" "https://127.0.0.1:$p/")
  [[ $body == "Hello, World!" ]] || die "$name answered '$body' over HTTPS"
  local negotiated
  negotiated=$(openssl s_client -connect "127.0.0.1:$p" -CAfile "$WORK/certs/ca.pem" </dev/null 2>/dev/null |
    sed -n 's/^New, TLSv1.3, Cipher is //p')
  [[ $negotiated == "$suite" ]] || die "$name negotiated '$negotiated', not $suite"
  taskset -c "$CLIENT_CPU" wrk -t1 -c100 -d1s "https://127.0.0.1:$p/" >/dev/null  # warm up
}

measure() {
  local s=$1 c=$2 rep=$3 out="$WORK/wrk.out" quiet cpu0 proc0 cpu1 proc1
  quiet=$(wait_quiet)
  cpu0=$(cpu_busy "$SERVER_CPU")
  proc0=$(proc_jiffies "${pid[$s]}")
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"${duration}s" --latency "https://127.0.0.1:${port[$s]}/" \
    >"$out" 2>&1 || die "wrk failed against $s: $(tail -n 3 "$out")"
  cpu1=$(cpu_busy "$SERVER_CPU")
  proc1=$(proc_jiffies "${pid[$s]}")
  local requests seconds p50 p99 errors non2xx
  read -r requests seconds p50 p99 errors non2xx < <(parse_wrk "$out")
  [[ $requests -gt 0 ]] || die "no requests completed against $s: $(cat "$out")"
  awk -v s="$s" -v c="$c" -v rep="$rep" -v n="$requests" -v sec="$seconds" -v p50="$p50" \
    -v p99="$p99" -v err="$errors" -v hz="$HZ" -v quiet="$quiet" -v suite="$suite" \
    -v cpu=$((cpu1 - cpu0)) -v proc=$((proc1 - proc0)) 'BEGIN {
      printf "{\"bench\":\"https\",\"server\":\"%s\",\"suite\":\"%s\",\"conns\":%d,\"rep\":%d,", s, suite, c, rep
      printf "\"requests\":%d,\"req_per_s\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,", n, n / sec, p50, p99
      printf "\"cpu_us_per_req\":%.3f,\"proc_us_per_req\":%.3f,", cpu * 1e6 / hz / n, proc * 1e6 / hz / n
      printf "\"background_pct\":%d,\"errors\":%d}\n", quiet, err
    }' | tee -a "$raw" >&2
}

for s in brigade nginx; do start_https "$s"; done
for ((rep = 1; rep <= reps; rep++)); do
  for c in $conns; do
    for s in brigade nginx; do measure "$s" "$c" "$rep"; done
  done
done
for s in brigade nginx; do stop_server "${pid[$s]}"; done

cat "$raw"
python3 - "$raw" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if '"bench"' in l]
def med(s, c, k):
    return statistics.median(r[k] for r in runs if r["server"] == s and r["conns"] == c)
print("\n| conns | server | req/s | vs nginx | server CPU µs/req | vs nginx | core µs/req | p99 µs |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for c in sorted({r["conns"] for r in runs}):
    for s in ("brigade", "nginx"):
        rps, proc = med(s, c, "req_per_s"), med(s, c, "proc_us_per_req")
        print(f"| {c} | {s} | {rps:,.0f} | {rps / med('nginx', c, 'req_per_s'):.2f} | {proc:.2f} | "
              f"{proc / med('nginx', c, 'proc_us_per_req'):.2f} | {med(s, c, 'cpu_us_per_req'):.2f} | "
              f"{med(s, c, 'p99_us'):,.0f} |")
PY
