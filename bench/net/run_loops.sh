#!/usr/bin/env bash
# Several cores for the server: examples/web_server --loops N against nginx with N worker
# processes, HTTP keep-alive "Hello, World!" driven by wrk -t N. Nothing is pinned: the server
# and wrk share every core, as they would on a small box, so req/s depends on how the kernel
# places them; the server's CPU time per request (utime + stime of all its processes and
# threads, from /proc) is the figure that does not.
#
#   bench/net/run_loops.sh [--loops N] [--conns "100 1000"] [--duration 5] [--reps 3]
#
# stdout: a Markdown table of medians over --reps, with ratios to nginx. Every run is printed
# to stderr as it finishes.
set -euo pipefail
source "$(dirname "$0")/common.sh"

loops=$(nproc)
conns="100 1000"
duration=5
reps=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --loops) loops=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $loops =~ ^[1-9][0-9]*$ ]] || die "--loops must be a positive integer, not '$loops'"
[[ $reps =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, not '$reps'"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "--duration must be whole seconds, not '$duration'"
need wrk nginx curl
find_bin web_server web_server_bin

# Starts NAME (brigade or nginx) on N cores; sets PIDS (every process of the server) and PORT.
start_multi() {
  local name=$1 log="$WORK/$1.log"
  PORT=$(free_port 18180)
  case "$name" in
    brigade)
      "$web_server_bin" --port "$PORT" --loops "$loops" --threads 1 --idle-timeout 600 \
        --max-connections 100000 >"$log" 2>&1 &
      ;;
    nginx)
      local prefix="$WORK/nginx"
      mkdir -p "$prefix/tmp"
      # N workers under a master; the master is measured too (it does nothing while serving).
      sed -e "s/127\.0\.0\.1:18080/127.0.0.1:$PORT reuseport/" \
        -e "s/^master_process off;.*/master_process on;/" \
        -e "s/^worker_processes 1;/worker_processes $loops;/" \
        "$NET_DIR/nginx.conf" >"$prefix/nginx.conf"
      nginx -p "$prefix" -e stderr -c "$prefix/nginx.conf" >"$log" 2>&1 &
      ;;
  esac
  local main=$!
  STARTED_PIDS+=("$main")
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$main" 2>/dev/null || die "$name exited at start: $(tail -n 5 "$log")"
    if curl -s --max-time 1 "http://127.0.0.1:$PORT/" >/dev/null; then break; fi
    sleep 0.1
  done
  [[ $(curl -s --max-time 5 "http://127.0.0.1:$PORT/") == "Hello, World!" ]] ||
    die "$name does not answer Hello, World! on port $PORT"
  MAIN_PID=$main
}

# utime + stime jiffies of a process and all its children (nginx's workers).
tree_jiffies() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    total=$((total + $(proc_jiffies "$p")))
  done
  echo "$total"
}

declare -A rps cpu p50 p99
for c in $conns; do
  for ((r = 0; r < reps; r++)); do
    for name in brigade nginx; do
      start_multi "$name"
      before=$(tree_jiffies "$MAIN_PID")
      wrk -t "$loops" -c "$c" -d "${duration}s" --latency "http://127.0.0.1:$PORT/" \
        >"$WORK/wrk.txt" 2>&1 || die "wrk failed: $(tail -n 3 "$WORK/wrk.txt")"
      after=$(tree_jiffies "$MAIN_PID")
      stop_server "$MAIN_PID"
      read -r req sec lat50 lat99 errors non2xx < <(parse_wrk "$WORK/wrk.txt")
      ((req > 0)) || die "$name: wrk completed no request"
      one=$(awk -v q="$req" -v s="$sec" -v j=$((after - before)) -v hz="$HZ" -v a="$lat50" -v b="$lat99" \
        'BEGIN { printf "%.0f %.2f %.3f %.2f", q / s, j / hz * 1e6 / q, a / 1000, b / 1000 }')
      echo "{\"server\":\"$name\",\"loops\":$loops,\"conns\":$c,\"rep\":$r,\"run\":\"$one\",\"errors\":$errors,\"non2xx\":$non2xx}" >&2
      read -r a b d e <<<"$one"
      rps[$name,$c]+="$a "
      cpu[$name,$c]+="$b "
      p50[$name,$c]+="$d "
      p99[$name,$c]+="$e "
    done
  done
done

median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

machine_json
echo
echo "--loops $loops against nginx with $loops workers, wrk -t $loops, nothing pinned (medians of $reps; ×: to nginx):"
echo
echo "| server | conns | req/s | × | server CPU µs/req | × | p50 ms | p99 ms |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for c in $conns; do
  n_rps=$(median "${rps[nginx,$c]}")
  n_cpu=$(median "${cpu[nginx,$c]}")
  for name in brigade nginx; do
    m_rps=$(median "${rps[$name,$c]}")
    m_cpu=$(median "${cpu[$name,$c]}")
    awk -v n="$name" -v c="$c" -v r="$m_rps" -v nr="$n_rps" -v u="$m_cpu" -v nu="$n_cpu" \
      -v a="$(median "${p50[$name,$c]}")" -v b="$(median "${p99[$name,$c]}")" \
      'BEGIN { printf "| %s | %d | %d | %.2f× | %.2f | %.2f× | %.3f | %.2f |\n", n, c, r, r / nr, u, u / nu, a, b }'
  done
done
