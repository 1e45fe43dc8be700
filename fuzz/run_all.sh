#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR over its seed corpus for SECONDS_EACH seconds, on a
# scratch copy of the corpus (the repository is not modified), and fails if any target finds a
# crash, a leak, undefined behaviour, a timeout (> 10 s for one input) or an input that takes
# over 2 GiB. Crashing inputs are kept in the scratch directory it names.
#   fuzz/run_all.sh build/fuzz 35    # as CI does: 7 targets, about 4.3 minutes
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS_EACH" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/brigade-fuzz.XXXXXX")

failed=()
for corpus in "$here"/corpus/*/; do
  target=$(basename "$corpus")
  binary="$build/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "== $target: $binary is not built" >&2
    failed+=("$target")
    continue
  fi
  mkdir -p "$scratch/$target/corpus" "$scratch/$target/artifacts"
  cp -r "$corpus". "$scratch/$target/corpus/"
  echo "== $target: ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$scratch/$target/artifacts/" "$scratch/$target/corpus" \
      >"$scratch/$target/log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::average_exec_per_sec)' \
      "$scratch/$target/log" || true
  else
    tail -n 40 "$scratch/$target/log"
    echo "== $target FAILED; inputs: $scratch/$target/artifacts" >&2
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "== fuzzing failed: ${failed[*]} (logs and inputs under $scratch)" >&2
  exit 1
fi
rm -rf "$scratch"
echo "== fuzzing: no crashes"
