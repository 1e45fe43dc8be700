#!/usr/bin/env bash
# brigade trace --predict against measured wall times: for each program below, record a trace
# at 1 thread, ask `brigade trace FILE --predict ... --json` for the predicted wall time at each
# worker count, measure the real (untraced) wall time at each thread count (median of REPS
# runs), and print a Markdown table of both with the prediction's error. A second table gives
# the work, span and parallelism `brigade trace` reads from a trace recorded at each measured
# thread count (the span is the program's logical one, so it should not depend on the count),
# and the wall time of the traced runs beside the untraced ones (what recording costs): the
# recorded wall is the trace's own (start to the last event), the traced run's is the whole
# process, which also writes the trace file at exit.
#
#   bench/predict/run_predict.sh [BUILD_DIR] [REPS] [THREADS] [PREDICT]
#
#   BUILD_DIR  a build with examples and bench on (default build/bench)
#   REPS       untraced runs per program and thread count; the median is reported (default 5)
#   THREADS    thread counts to measure and trace at, comma-separated (default 1,2; 1 is always
#              traced, as the predictions come from the 1-thread trace)
#   PREDICT    worker counts to predict (default 2,4,8,16; the measured ones are added)
#
#   cmake --preset bench && cmake --build --preset bench -j2 \
#     --target brigade_cli team_of_chefs heat predict_fib predict_known_span
#
# The programs: examples/team_of_chefs (a serial Mandelbrot, then the same by parallel_for),
# examples/heat (a stencil, memory-bound), bench/predict/fib.cpp (join, serial below a cutoff)
# and bench/predict/known_span.cpp (sleeps: work 520 ms, span 170 ms, known in advance). Times
# are of the whole process (start to exit), as BRIGADE_TRACE records from start to exit. The
# runs are interleaved (each repetition runs every program at every thread count in turn, and
# the middle one also records the traces) so a noisy moment on a shared machine hits all of
# them alike. Set KEEP=DIR to keep the traces.
set -euo pipefail
build=${1:-build/bench}
reps=${2:-5}
threads=${3:-1,2}
predict=${4:-2,4,8,16}
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "run_predict.sh: REPS must be a positive integer" >&2; exit 2; }
for list in "$threads" "$predict"; do
  [[ $list =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
    { echo "run_predict.sh: \"$list\" is not a comma-separated list of positive integers" >&2; exit 2; }
done
IFS=, read -r -a thread_counts <<<"$threads"
[[ ,$threads, == *,1,* ]] || thread_counts=(1 "${thread_counts[@]}")
all_counts=$(printf '%s\n' "${thread_counts[@]}" ${predict//,/ } | sort -n -u | paste -sd,)

cli=$build/tools/brigade/brigade
declare -A program=(
  [team_of_chefs]="$build/examples/team_of_chefs --size 1024"
  [heat]="$build/examples/heat/heat --n 2048 --steps 20"
  [fib]="$build/bench/predict/predict_fib 42 22"
  [known_span]="$build/bench/predict/predict_known_span"
)
order=(team_of_chefs heat fib known_span)
for f in "$cli" "${program[@]%% *}"; do
  [[ -x $f ]] || { echo "run_predict.sh: $f is missing (see the build command in this script)" >&2; exit 1; }
done

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
: >"$work/runs.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Runs program $1 at $2 threads (BRIGADE_TRACE=$4 when given) and appends "name threads kind
# seconds" to runs.tsv, kind being $3 (measured or traced).
run_one() {
  local name=$1 t=$2 kind=$3 trace=${4:-} t0 t1
  local -a cmd
  read -r -a cmd <<<"${program[$name]}"
  t0=$(date +%s%N)
  if [[ -n $trace ]]; then
    BRIGADE_THREADS=$t BRIGADE_TRACE=$trace "${cmd[@]}" >/dev/null
  else
    BRIGADE_THREADS=$t "${cmd[@]}" >/dev/null
  fi
  t1=$(date +%s%N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$t" "$kind" "$(((t1 - t0) / 1000))e-6" >>"$work/runs.tsv"
}

# The traces are recorded once, in the middle of the measurements, so that they see the same
# machine as the untraced runs; they are analysed after the last run.
for ((r = 1; r <= reps; r++)); do
  echo "measure: repetition $r/$reps" >&2
  for name in "${order[@]}"; do
    for t in "${thread_counts[@]}"; do
      run_one "$name" "$t" measured
      if ((r == (reps + 1) / 2)); then run_one "$name" "$t" traced "$work/$name.$t.json"; fi
    done
  done
done
for name in "${order[@]}"; do
  for t in "${thread_counts[@]}"; do
    "$cli" trace "$work/$name.$t.json" --predict "$all_counts" --json >"$work/$name.$t.analysis.json"
  done
done

echo "load average before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 - "$work" "$(IFS=,; echo "${thread_counts[*]}")" "$predict" "${order[@]}" <<'EOF'
import json, statistics, sys
work, threads, predict, names = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
threads = [int(t) for t in threads.split(",")]
predict = [int(p) for p in predict.split(",")]
runs = {}
for line in open(f"{work}/runs.tsv"):
    name, t, kind, s = line.split("\t")
    runs.setdefault((name, int(t), kind), []).append(float(s))
def med(name, t, kind):
    return statistics.median(runs[(name, t, kind)])
def analysis(name, t):
    return json.load(open(f"{work}/{name}.{t}.analysis.json"))
def ms(s):
    return f"{s * 1e3:.0f}"

compared = [t for t in threads if t > 1]
others = [p for p in predict if p not in compared]
head = ["program"] + [f"measured {t}t (ms)" for t in threads]
for t in compared:
    head += [f"predicted {t}t (ms)", f"error {t}t"]
head += [f"predicted {p}t (ms)" for p in others]
print("| " + " | ".join(head) + " |")
print("| --- |" + " ---: |" * (len(head) - 1))
for name in names:
    p = analysis(name, 1)["predicted_seconds"]
    row = [name] + [ms(med(name, t, "measured")) for t in threads]
    for t in compared:
        m, q = med(name, t, "measured"), p[str(t)]
        row += [ms(q), f"{(q - m) / m * 100:+.0f}%"]
    row += [ms(p[str(c)]) for c in others]
    print("| " + " | ".join(row) + " |")

print()
print("| program | traced at | recorded wall (ms) | work (ms) | span (ms) | parallelism | segments "
      "| dropped events | traced run (ms) | untraced median (ms) | recorded / untraced "
      "| traced run / untraced |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for name in names:
    for t in threads:
        a = analysis(name, t)
        traced, plain = med(name, t, "traced"), med(name, t, "measured")
        print(f"| {name} | {t} | {ms(a['wall_seconds'])} | {ms(a['work_seconds'])} | "
              f"{ms(a['span_seconds'])} | {a['parallelism']:.2f} | {a['segments']} | "
              f"{a['dropped_events']} | {ms(traced)} | {ms(plain)} | "
              f"{a['wall_seconds'] / plain:.2f} | {traced / plain:.2f} |")
EOF
