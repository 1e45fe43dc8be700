#!/usr/bin/env bash
# Runs the stress suite of a schedule-fuzzing build (presets schedfuzz, schedfuzz-tsan) again and
# again, each round with a fresh seed, until SECONDS have been spent; prints each seed, and on a
# failure the command that replays it, and exits 1.
#   tests/stress/run_schedfuzz.sh build/schedfuzz 120    # as CI does
# Each round sets BRIGADE_SCHEDULE_SEED (the yields and sleeps at every atomic of the seam) and
# BRIGADE_SEED (the stress tests' own random choices) to the same number, and runs ctest -L stress
# with 2 jobs. A round starts only while the last one's duration still fits in the time left, so
# the total stays near SECONDS; a round that runs past BRIGADE_SCHEDFUZZ_ROUND_LIMIT seconds
# (default 240) is a hang, and fails. BRIGADE_STRESS_SCALE (default 0.5) sizes the tests.
# A seed replays the decisions made at each atomic, not the kernel's scheduling: a replay makes
# the failure likely again, not certain (docs/RELIABILITY.md, "Schedule fuzzing").
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
budget=$2
round_limit=${BRIGADE_SCHEDFUZZ_ROUND_LIMIT:-240}
export BRIGADE_STRESS_SCALE=${BRIGADE_STRESS_SCALE:-0.5}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
if ! grep -q '^BRIGADE_SCHEDULE_FUZZ:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "$0: $build is not a BRIGADE_SCHEDULE_FUZZ=ON build (cmake --preset schedfuzz)" >&2
  exit 2
fi
log=$(mktemp "${TMPDIR:-/tmp}/brigade-schedfuzz.XXXXXX")
trap 'rm -f "$log"' EXIT

start=$SECONDS
last=0
round=0
while :; do
  spent=$((SECONDS - start))
  if [ "$round" -gt 0 ] && [ $((spent + last)) -gt "$budget" ]; then
    break
  fi
  round=$((round + 1))
  seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  begun=$SECONDS
  status=0
  BRIGADE_SCHEDULE_SEED=$seed BRIGADE_SEED=$seed \
    timeout --kill-after=10 "$round_limit" \
    ctest --test-dir "$build" -L stress -j2 --no-tests=error --output-on-failure >"$log" 2>&1 || status=$?
  last=$((SECONDS - begun))
  if [ "$status" -eq 0 ]; then
    echo "round $round: seed $seed: passed ($(grep -Eo 'out of [0-9]+' "$log" | grep -Eo '[0-9]+')" \
      "tests, ${last}s)"
    continue
  fi
  tail -n 80 "$log"
  replay="BRIGADE_SCHEDULE_SEED=$seed BRIGADE_SEED=$seed BRIGADE_STRESS_SCALE=$BRIGADE_STRESS_SCALE"
  replay+=" TSAN_OPTIONS=$TSAN_OPTIONS ctest --test-dir $build --output-on-failure"
  replay+=" --repeat until-fail:20"  # a seed makes the failure likelier, not certain
  failed=$(awk '/The following tests FAILED:/{f=1; next} f && /^[ \t]+[0-9]+ - /{print $3}' "$log")
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ] || [ -z "$failed" ]; then
    echo "round $round: seed $seed: FAILED (the round ran past ${round_limit}s: a hang?)" >&2
    echo "replay: $replay -L stress" >&2
  else
    echo "round $round: seed $seed: FAILED" >&2
    for name in $failed; do
      echo "replay: $replay -R '^${name//./\\.}\$'" >&2
    done
  fi
  exit 1
done
echo "schedule fuzzing: $round rounds in $((SECONDS - start))s, all passed"
