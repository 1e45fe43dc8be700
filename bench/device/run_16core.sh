#!/usr/bin/env bash
# Scaling past two cores in one short run on a lent 16-core machine (issue 17 §5): the parallel
# suite, the graph suite and the heat solver at 1/2/4/8/16 threads against oneTBB and OpenMP,
# and web_server --loops N against nginx with N workers. The lent machine is bare (no packages,
# no network, maybe another C library), so the programs travel with every library they load,
# the C library and its loader included, and run through that loader.
#
# Here (Debian 12, after `cmake --preset bench && cmake --build --preset bench`):
#   bench/device/run_16core.sh bundle [BUILD_DIR] [DEST]     # default build/bench, .device-bundle
# There (with DEST carried; OUT is where the tables go; every stage has its own time limit, so
# one that hangs cannot eat the others' time):
#   bench/device/run_16core.sh run DEST OUT [--quick] [--threads 1,2,4,8,16] [--reps 2]
#                                          [--loops 16]
#
# OUT gets machine.txt, parallel.txt, graph.txt, heat.txt, http.txt (each stage's tables, or
# why it failed) and times.txt (seconds per stage). Record the tables in bench/RESULTS.md with
# the machine named.
set -euo pipefail

die() {
  echo "run_16core.sh: $*" >&2
  exit 1
}

repo=$(cd "$(dirname "$0")/../.." && pwd)
programs=(bench/brigade_bench bench/graph/brigade_graph_bench bench/heat/brigade_heat_bench
  examples/web_server/web_server)
tools=(wrk nginx)

# Copies each program and every library it loads (ldd's list, the loader included) into DEST,
# with a wrapper in DEST/bin that starts it through the carried loader.
bundle() {
  local build=${1:-$repo/build/bench} dest=${2:-$repo/.device-bundle} p src name lib
  [[ -d $build ]] || die "no build directory '$build' (cmake --preset bench && cmake --build --preset bench)"
  rm -rf "$dest"
  mkdir -p "$dest/bin" "$dest/real" "$dest/lib"
  local sources=()
  for p in "${programs[@]}"; do
    [[ -x $build/$p ]] || die "no '$build/$p': build it first (cmake --build --preset bench)"
    sources+=("$build/$p")
  done
  for p in "${tools[@]}"; do
    src=$(command -v "$p") || die "needs '$p' here to carry it (tools/install-deps.sh --bench)"
    sources+=("$src")
  done
  for src in "${sources[@]}"; do
    name=$(basename "$src")
    cp "$src" "$dest/real/$name.real"
    # ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the loader.
    while read -r lib; do
      cp -L "$lib" "$dest/lib/"
    done < <(ldd "$src" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
    cat >"$dest/bin/$name" <<EOF
#!/bin/sh
d=\$(dirname "\$(readlink -f "\$0")")/..
exec "\$d/lib/ld-linux-x86-64.so.2" --library-path "\$d/lib" "\$d/real/$name.real" "\$@"
EOF
    chmod +x "$dest/bin/$name"
  done
  [[ -e $dest/lib/ld-linux-x86-64.so.2 ]] || die "ldd named no ld-linux-x86-64.so.2: not an x86-64 glibc system?"
  # The bench/net scripts find web_server under BUILD=DEST: the wrapper DEST/bin/web_server.
  du -sh "$dest"
  echo "carry '$(basename "$dest")' and run: bash bench/device/run_16core.sh run $(basename "$dest") \$OUT"
}

# Runs one stage with a time limit, its output in OUT/FILE; a failure is written there too and
# the next stage still runs.
stage() {
  local file=$1 limit=$2 start rc=0
  shift 2
  start=$(date +%s)
  timeout -k 5 "$limit" "$@" >"$out/$file" 2>&1 || rc=$?
  echo "$file $(($(date +%s) - start)) s, exit $rc" | tee -a "$out/times.txt"
  ((rc == 0)) || echo "stage failed with exit $rc (124: past its ${limit} s limit)" >>"$out/$file"
}

run() {
  local dest=${1:?run needs DEST (the bundle) and OUT} quick=() threads=1,2,4,8,16 reps=2
  out=${2:?run needs OUT}
  shift 2
  local loops=16
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --quick) quick=(--quick); shift ;;
      --threads) threads=$2; shift 2 ;;
      --reps) reps=$2; shift 2 ;;
      --loops) loops=$2; shift 2 ;;
      *) die "unknown option '$1' (see the header of this script)" ;;
    esac
  done
  dest=$(cd "$dest" && pwd)
  mkdir -p "$out"
  : >"$out/times.txt"
  export PATH="$dest/bin:$PATH"
  {
    uname -a
    nproc
    lscpu 2>/dev/null || cat /proc/cpuinfo | grep -m1 "model name"
    free -g 2>/dev/null || true
    date -u
  } >"$out/machine.txt" 2>&1
  # Budget: one call may run 600 s, and the session's device time (15 min) includes the
  # machine's start. Measured on the 2-core VM, one thread, 3 reps: 154 s, 37 s and 14 s under
  # load; all five thread counts take about twice the one-thread time, so 2 reps fit in
  # 280 + 90 + 45 + 75 s.
  stage parallel.txt 280 brigade_bench --threads "$threads" --reps "$reps" "${quick[@]}"
  stage graph.txt 90 brigade_graph_bench --threads "$threads" --reps "$reps" "${quick[@]}"
  stage heat.txt 45 brigade_heat_bench --threads "$threads" --reps "$reps" "${quick[@]}"
  # The server and wrk share the cores (run_loops.sh's header says why that is the honest way).
  stage http.txt 75 env BUILD="$dest" bash "$repo/bench/net/run_loops.sh" --loops "$loops" \
    --conns 1000 --duration 5 --reps 1
}

case "${1:-}" in
  bundle) shift; bundle "$@" ;;
  run) shift; run "$@" ;;
  -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "usage: run_16core.sh bundle [BUILD_DIR] [DEST] | run DEST OUT [options] (see --help)" ;;
esac
