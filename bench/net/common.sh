# Shared by the bench/net scripts (sourced, not run): finding the binaries, starting and stopping
# the servers pinned to the server core, and reading CPU time and memory from /proc.
#
# Environment (all optional):
#   BUILD       build directory holding web_server, asio_server, ... (default: build/bench)
#   SERVER_CPU  the core the server runs on (default 0)
#   CLIENT_CPU  the core wrk and the other clients run on (default 1)

NET_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$NET_DIR/../.." && pwd)
BUILD=${BUILD:-$REPO_DIR/build/bench}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
HZ=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/brigade-net.XXXXXX)
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "needs '$tool' (see bench/net/README.md for the packages)"
  done
}

# Sets variable $2 to the path of the executable $1 under $BUILD (the bench preset's layout or
# the standalone one), or stops the script.
find_bin() {
  local hit
  hit=$(find "$BUILD" -maxdepth 5 -type f -name "$1" -perm -u+x 2>/dev/null | sort | head -n 1)
  [[ -n "$hit" ]] || die "no '$1' under $BUILD: build it first (cmake --preset bench && cmake --build --preset bench), or set BUILD"
  printf -v "$2" '%s' "$hit"
}

# find_server_bin SERVER BINARY VAR: find_bin BINARY VAR, under $BASE_BUILD when SERVER is
# brigade-base (a build of another commit, for before/after comparisons in one run).
find_server_bin() {
  if [[ $1 == brigade-base ]]; then
    [[ -n ${BASE_BUILD:-} ]] || die "brigade-base needs BASE_BUILD (a build directory of the commit to compare with)"
    BUILD=$BASE_BUILD find_bin "$2" "$3"
  else
    find_bin "$2" "$3"
  fi
}

# A TCP port on 127.0.0.1 that nothing listens on, from `from` upwards.
free_port() {
  local p=${1:-18080}
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}

# Busy jiffies of core $1 so far: user + nice + system + irq + softirq (kernel network stack
# included; idle, iowait and steal excluded).
cpu_busy() {
  awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

# This machine is shared: waits until neither benchmark core is busier than QUIET_PCT percent
# (default 10) over one second, for at most QUIET_WAIT seconds (default 60). Prints the busier
# core's percentage seen last, which the scripts record as "background_pct".
wait_quiet() {
  local limit=$((SECONDS + ${QUIET_WAIT:-60})) a0 a1 b0 b1 busy
  while :; do
    a0=$(cpu_busy "$SERVER_CPU")
    a1=$(cpu_busy "$CLIENT_CPU")
    sleep 1
    b0=$(cpu_busy "$SERVER_CPU")
    b1=$(cpu_busy "$CLIENT_CPU")
    busy=$(((b0 - a0) > (b1 - a1) ? (b0 - a0) : (b1 - a1)))
    busy=$((busy * 100 / HZ))
    if ((busy <= ${QUIET_PCT:-10} || SECONDS >= limit)); then
      echo "$busy"
      return
    fi
  done
}

# utime + stime jiffies of process $1, all its threads.
proc_jiffies() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }  # the fields after "(comm) "; comm may hold spaces
  awk '{ print $12 + $13 }' <<<"$stat"
}

# A field of /proc/$1/status in kB (VmRSS, VmHWM, ...).
status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

# Server names the scripts know, and what each one runs:
#   brigade        examples/web_server, one loop, one pool thread, its default backend (epoll
#                  unless BRIGADE_IO is set; builds before 2026-12-07 default to io_uring)
#   brigade-epoll  the same with BRIGADE_IO=epoll
#   brigade-uring  the same with BRIGADE_IO=uring
#   brigade-base   the same server from $BASE_BUILD, a build of another commit (before/after
#                  comparisons in one run: BASE_BUILD=/tmp/old-bench ... --servers "brigade brigade-base")
#   brigade-nice   the same, with the pool's thread reniced to 19 from outside once started (an
#                  experiment for the hybrid case: the loop thread then wins the shared core)
#   nginx          nginx, one worker process, bench/net/nginx.conf
#   asio           bench/net/asio_server (compute on a 1-thread asio::thread_pool)
#   asio-inline    bench/net/asio_server --compute inline (computes on the loop)
#   libuv          bench/net/libuv_server
# start_server NAME sets SRV_PID and SRV_PORT; the server is pinned to $SERVER_CPU.
start_server() {
  local name=$1 log="$WORK/$1.log" cmd=() port="" bin
  case "$name" in
    brigade | brigade-epoll | brigade-uring | brigade-nice | brigade-traced | brigade-base)
      find_server_bin "$name" web_server bin
      cmd=("$bin" --port 0 --loops 1 --threads 1 --idle-timeout 600
           --max-connections 100000)
      if [[ $name == brigade-epoll ]]; then cmd=(env BRIGADE_IO=epoll "${cmd[@]}"); fi
      if [[ $name == brigade-uring ]]; then cmd=(env BRIGADE_IO=uring "${cmd[@]}"); fi
      # Tracing left on as a server would run it: a ring keeps recording every event (a linear
      # buffer would fill in seconds and then only count drops, which costs less).
      if [[ $name == brigade-traced ]]; then
        cmd=(env BRIGADE_TRACE="$WORK/web_server_trace.json" BRIGADE_TRACE_MODE=ring "${cmd[@]}")
      fi
      ;;
    asio | asio-inline)
      find_bin asio_server bin
      cmd=("$bin" --port 0 --compute pool --pool-threads 1)
      if [[ $name == asio-inline ]]; then cmd=("$bin" --port 0 --compute inline); fi
      ;;
    libuv)
      find_bin libuv_server bin
      cmd=("$bin" --port 0)
      ;;
    nginx)
      need nginx
      local prefix="$WORK/nginx"
      port=$(free_port 18080)
      mkdir -p "$prefix/tmp"
      sed "s/127\.0\.0\.1:18080/127.0.0.1:$port/" "$NET_DIR/nginx.conf" >"$prefix/nginx.conf"
      cmd=(nginx -p "$prefix" -e stderr -c "$prefix/nginx.conf")
      ;;
    *) die "unknown server '$name' (brigade, brigade-base, brigade-epoll, brigade-uring, brigade-nice, brigade-traced, nginx, asio, asio-inline, libuv)" ;;
  esac
  : >"$log"
  # taskset and env exec the server: $! is the server's own pid.
  taskset -c "$SERVER_CPU" "${cmd[@]}" >"$log" 2>&1 &
  SRV_PID=$!
  STARTED_PIDS+=("$SRV_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$SRV_PID" 2>/dev/null || die "$name exited at start: $(tail -n 5 "$log")"
    if [[ -z $port ]]; then
      port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p;T;q' "$log")
    fi
    if [[ -n $port ]] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  [[ -n $port ]] || die "$name did not start listening: $(tail -n 5 "$log")"
  SRV_PORT=$port
  if [[ $name == brigade-nice ]]; then
    local task  # every thread but the main one (loop 0) is the pool's
    for task in /proc/"$SRV_PID"/task/*; do
      if [[ ${task##*/} != "$SRV_PID" ]]; then renice -n 19 -p "${task##*/}" >/dev/null; fi
    done
  fi
  local body
  body=$(curl -s --max-time 5 "http://127.0.0.1:$SRV_PORT/")
  [[ $body == "Hello, World!" ]] || die "$name answered '$body' instead of Hello, World!"
}

# Starts a RESP server pinned to $SERVER_CPU and waits until it answers PING: brigade
# (examples/kv_server, one loop, one pool thread, its default backend: epoll unless BRIGADE_IO
# is set; builds before 2026-12-07 default to io_uring), brigade-epoll and brigade-uring (the
# same with BRIGADE_IO set), brigade-base (kv_server from $BASE_BUILD, a build of another commit)
# or redis (redis-server, no persistence).
# Sets KV_PORT, KV_PID and KV_LOG (its output).
start_kv() {
  KV_PORT=$(free_port 16379)
  KV_LOG="$WORK/kv-$1.log"
  case "$1" in
    brigade | brigade-epoll | brigade-uring | brigade-base)
      local bin io=(env -u BRIGADE_IO)
      find_server_bin "$1" kv_server bin
      if [[ $1 == brigade-epoll ]]; then io=(env BRIGADE_IO=epoll); fi
      if [[ $1 == brigade-uring ]]; then io=(env BRIGADE_IO=uring); fi
      # taskset and env exec the server: $! is its own pid (the server's log names its backend).
      taskset -c "$SERVER_CPU" "${io[@]}" "$bin" --port "$KV_PORT" --loops 1 --threads 1 \
        >"$KV_LOG" 2>&1 &
      ;;
    redis)
      taskset -c "$SERVER_CPU" redis-server --port "$KV_PORT" --save '' --appendonly no \
        --daemonize no --logfile "$KV_LOG" >/dev/null 2>&1 &
      ;;
    *) die "unknown server '$1' (brigade, brigade-epoll, brigade-uring, brigade-base, redis)" ;;
  esac
  KV_PID=$!
  STARTED_PIDS+=("$KV_PID")
  local _
  for _ in $(seq 100); do
    redis-cli -p "$KV_PORT" PING >/dev/null 2>&1 && return
    sleep 0.1
  done
  die "$1 did not start: $(tail -n 5 "$KV_LOG")"
}

# Drops $1 from the processes cleanup() stops (it has been waited for: its pid may be reused).
forget_pid() {
  local keep=() p
  for p in "${STARTED_PIDS[@]}"; do
    if [[ $p != "$1" ]]; then keep+=("$p"); fi
  done
  STARTED_PIDS=("${keep[@]}")
}

# Stops a process this script started (SIGTERM, then SIGKILL after 5 s) and waits for it.
stop_server() {
  local pid=$1 i
  if kill -TERM "$pid" 2>/dev/null; then
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# Parses wrk's output (with --latency): prints "requests seconds p50_us p99_us errors non2xx".
parse_wrk() {
  awk '
    function us(v) {
      if (v ~ /us$/) return v + 0
      if (v ~ /ms$/) return (v + 0) * 1000
      if (v ~ /s$/) return (v + 0) * 1000000
      return v + 0
    }
    / requests in / { req = $1; sec = $4; sub(/s,?$/, "", sec)
                      if (sec ~ /m$/) { sub(/m$/, "", sec); sec *= 60 } }
    $1 == "50%" { p50 = us($2) }
    $1 == "99%" { p99 = us($2) }
    /Socket errors:/ { gsub(/,/, ""); err = $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    END { printf "%d %s %.1f %.1f %d %d\n", req, sec, p50, p99, err, non2xx }
  ' "$1"
}

# The machine, for the record.
machine_json() {
  local model
  model=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
  printf '{"machine":{"date":"%s","nproc":%s,"cpu":"%s","kernel":"%s","loadavg":"%s"}}\n' \
    "$(date)" "$(nproc)" "$model" "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
