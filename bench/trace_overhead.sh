#!/usr/bin/env bash
# The cost of brigade's tracing on fib (fork-heavy) and Mandelbrot (default grain): the same
# brigade_bench built with the trace hooks compiled out (BRIGADE_ENABLE_TRACING=OFF), with them
# compiled in but off (the default), and with recording on (BRIGADE_TRACE=FILE). The builds
# run alternately, ROUNDS times, and the medians of their medians are compared.
#
#   bench/trace_overhead.sh [ROUNDS]        (default 5; needs the two builds below; THREADS=N
#                                           and WORKLOADS=fib pick the thread count and workloads)
#
# The web server's row (its requests per second and CPU per request with tracing on in ring
# mode, against the same server untraced, in the same run) comes from bench/net:
#
#   bench/net/run_http.sh --servers "brigade brigade-traced" --conns "10 100 1000"
#
#   cmake --preset bench && cmake --build --preset bench
#   cmake --preset bench -B build/bench-notrace -DBRIGADE_ENABLE_TRACING=OFF &&
#     cmake --build build/bench-notrace --target brigade_bench
set -euo pipefail
rounds=${1:-5}
with=${WITH:-build/bench/bench/brigade_bench}
without=${WITHOUT:-build/bench-notrace/bench/brigade_bench}
for b in "$with" "$without"; do
  [[ -x $b ]] || { echo "trace_overhead.sh: $b is missing (see the build commands in this script)" >&2; exit 1; }
done
threads=${THREADS:-$(nproc)}
args=(--workload "${WORKLOADS:-fib,mandelbrot}" --impl brigade --threads "$threads" --reps 3)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds" >&2
  "$without" "${args[@]}" 2>/dev/null | grep '^{' | sed 's/^/{"config":"compiled out",/; s/,{/,/' >>"$work/all.jsonl"
  "$with" "${args[@]}" 2>/dev/null | grep '^{' | sed 's/^/{"config":"off",/; s/,{/,/' >>"$work/all.jsonl"
  BRIGADE_TRACE="$work/trace.json" "$with" "${args[@]}" 2>"$work/err" | grep '^{' |
    sed 's/^/{"config":"on",/; s/,{/,/' >>"$work/all.jsonl"
  grep -h "trace events" "$work/err" >&2 || true
done
python3 - "$work/all.jsonl" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("| workload | threads | compiled out (s) | off (s) | off / out | on (s) | on / off |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for w in sorted({r["workload"] for r in rows}):
    med = {}
    for c in ("compiled out", "off", "on"):
        med[c] = statistics.median(r["median_seconds"] for r in rows
                                   if r["workload"] == w and r["config"] == c)
    t = rows[0]["threads"]
    print(f"| {w} | {t} | {med['compiled out']:.4g} | {med['off']:.4g} | "
          f"{med['off'] / med['compiled out']:.3f} | {med['on']:.4g} | {med['on'] / med['off']:.3f} |")
EOF
