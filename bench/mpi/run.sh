#!/bin/sh
# Strong scaling of the heat stencil over MPI ranks: brigade's heat_mpi (examples/heat) against
# the same kernel as plain MPI + OpenMP (heat_mpi_omp, here), at 1, 2 and 4 ranks, interleaved,
# medians of REPS runs. Builds nothing:
#
#   cmake --preset bench && cmake --build --preset bench --target heat_mpi heat_mpi_omp
#   bench/mpi/run.sh build/bench [REPS] [GRID:STEPS ...]
#
# Each rank gets THREADS/ranks threads (at least 1; THREADS defaults to nproc), the same for
# BRIGADE_THREADS and OMP_NUM_THREADS: past nproc ranks the machine is oversubscribed. Every run's
# checksum must be the same double (heat's), else the script fails. Ratio: brigade's median time
# over MPI+OpenMP's (the target is <= 1.0). CPU s: the median of the CPU time (user + system) all
# ranks' threads used during the steps, summed over the ranks: spinning shows there.
set -eu
build=${1:?usage: run.sh BUILD_DIR [REPS] [GRID:STEPS ...]}
shift
reps=${1:-5}
[ $# -gt 0 ] && shift
cases=${*:-"2048:40 512:400"}
ranks_list=${RANKS:-"1 2 4"}
threads_total=${THREADS:-$(nproc)}
heat_mpi=$build/examples/heat/heat_mpi
omp=$build/bench/mpi/heat_mpi_omp
for p in "$heat_mpi" "$omp"; do
  [ -x "$p" ] || { echo "run.sh: $p is missing: build heat_mpi and heat_mpi_omp (bench preset)" >&2; exit 1; }
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun="mpirun --oversubscribe --bind-to none --mca btl self,vader"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for c in $cases; do
  n=${c%:*} steps=${c#*:}
  for np in $ranks_list; do
    t=$((threads_total / np)); [ "$t" -ge 1 ] || t=1
    for r in $(seq "$reps"); do
      BRIGADE_THREADS=$t $mpirun -np "$np" "$heat_mpi" --n "$n" --steps "$steps" --json \
        >> "$out/brigade.$n.$np"
      OMP_NUM_THREADS=$t $mpirun -np "$np" "$omp" --n "$n" --steps "$steps" >> "$out/omp.$n.$np"
    done
  done
done

python3 - "$out" "$cases" "$ranks_list" "$threads_total" <<'PY'
import json, statistics, sys
out, cases, ranks, total = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
print("| grid, steps | ranks | threads/rank | heat_mpi (brigade) | MPI+OpenMP | brigade / MPI+OpenMP "
      "| CPU s: brigade | CPU s: MPI+OpenMP | same checksum |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
bad = False
for c in cases:
    n, steps = c.split(":")
    sums = set()
    base = None
    for np_ in ranks:
        runs = {impl: [json.loads(l) for l in open(f"{out}/{impl}.{n}.{np_}")] for impl in ("brigade", "omp")}
        med = {impl: statistics.median(r["seconds"] for r in rs) for impl, rs in runs.items()}
        cpu = {impl: statistics.median(r["cpu_seconds"] for r in rs) for impl, rs in runs.items()}
        for rs in runs.values():
            sums |= {float(r["checksum"]) for r in rs}
        base = base or med["brigade"]
        t = runs["brigade"][0]["threads"]
        over = " (oversubscribed)" if int(np_) * t > total else ""
        print(f"| {n}², {steps} | {np_}{over} | {t} | {med['brigade']:.4f} s ({base / med['brigade']:.2f}× 1 rank) "
              f"| {med['omp']:.4f} s | **{med['brigade'] / med['omp']:.2f}** "
              f"| {cpu['brigade']:.3f} | {cpu['omp']:.3f} | {'yes' if len(sums) == 1 else 'NO'} |")
    bad |= len(sums) != 1
sys.exit(1 if bad else 0)
PY
