#!/usr/bin/env bash
# image_pipeline against ImageMagick (convert-im6.q16, Debian's imagemagick) doing the same
# Gaussian blur (radius 3 sigma, JPEG quality 90, 4:2:0) on the same generated photo-like JPEGs,
# pinned to the same cores, both ways ImageMagick's users run it: one process with its OpenMP
# threads (MAGICK_THREAD_LIMIT) over all the files, and one single-threaded process per file,
# THREADS at a time (xargs -P). The one process asks for `-limit memory 4GiB -limit map 8GiB`,
# but Debian's /etc/ImageMagick-6/policy.xml caps memory at 256MiB and map at 512MiB, and a
# -limit cannot go past the policy (`convert-im6.q16 -limit memory 4GiB -list resource` still
# says 256MiB): with 16 images of 3000x2000 its pixel cache spills to disk, which is what its
# users get on Debian. With 4 such images it does not, and it is as fast as xargs -P. Each repetition runs the three back to back; medians and ratios are printed as a
# Markdown table (peer / brigade: above 1, brigade is faster).
#
#   bench/image/run.sh [IMAGES] [WIDTHxHEIGHT] [SIGMA] [REPS]     (default 16 3000x2000 2 3)
#
# Environment: BIN (default build/bench/examples/image_pipeline/image_pipeline, from
# `cmake --preset bench && cmake --build --preset bench --target image_pipeline`), THREADS
# (default "1 2"), WORK (inputs and outputs; default a fresh temporary directory).
set -euo pipefail
count=${1:-16}
size=${2:-3000x2000}
sigma=${3:-2}
reps=${4:-3}
bin=${BIN:-build/bench/examples/image_pipeline/image_pipeline}
threads_list=${THREADS:-1 2}
im=convert-im6.q16
[[ -x $bin ]] || { echo "run.sh: $bin is missing (see the build command in this script)" >&2; exit 1; }
command -v "$im" >/dev/null || { echo "run.sh: $im is missing (tools/install-deps.sh --bench)" >&2; exit 1; }
bin=$(realpath "$bin")
work=${WORK:-$(mktemp -d)}
[[ -n ${WORK:-} ]] || trap 'rm -rf "$work"' EXIT
radius=$(python3 -c "import math; print(max(1, math.ceil(3 * $sigma)))")
w=${size%x*} h=${size#*x}

mkdir -p "$work/in"
for ((i = 1; i <= count; i++)); do  # plasma clouds with sensor-like noise: no two alike
  f=$(printf '%s/in/photo%02d.jpg' "$work" "$i")
  [[ -s $f ]] || "$im" -seed "$i" -size "$((w / 4))x$((h / 4))" plasma:fractal -resize "${size}!" \
    -attenuate 0.4 +noise Gaussian -quality 92 "$f"
done
echo "inputs: $count JPEGs of $size in $work/in ($(du -sh "$work/in" | cut -f1)); blur sigma $sigma, radius $radius" >&2

now() { date +%s.%N; }
results=$work/results.txt
: >"$results"
for ((r = 1; r <= reps; r++)); do
  for t in $threads_list; do
    cores=0-$((t - 1))
    rm -rf "$work"/out-*; mkdir -p "$work"/out-{brigade,omp,xargs}
    s=$(now)
    BRIGADE_THREADS=$t taskset -c "$cores" "$bin" --in "$work/in" --out "$work/out-brigade" \
      --ops "blur:$sigma" --quality 90 --json >"$work/brigade.json"
    echo "brigade $t $(python3 -c "print($(now) - $s)") $(cat "$work/brigade.json")" >>"$results"
    s=$(now)
    MAGICK_THREAD_LIMIT=$t taskset -c "$cores" "$im" -limit memory 4GiB -limit map 8GiB \
      "$work"/in/*.jpg -blur "${radius}x$sigma" \
      -quality 90 -sampling-factor 4:2:0 -set filename:f '%t' "$work/out-omp/%[filename:f].jpg"
    echo "omp $t $(python3 -c "print($(now) - $s)")" >>"$results"
    s=$(now)
    (cd "$work/in" && ls ./*.jpg | MAGICK_THREAD_LIMIT=1 taskset -c "$cores" xargs -P "$t" -I{} \
      "$im" {} -blur "${radius}x$sigma" -quality 90 -sampling-factor 4:2:0 "$work/out-xargs/{}")
    echo "xargs $t $(python3 -c "print($(now) - $s)")" >>"$results"
    echo "rep $r, $t thread(s): $(tail -3 "$results" | awk '{printf "%s %.2f s  ", $1, $3}')" >&2
  done
done
# The same blur? PSNR of brigade's first output against ImageMagick's (JPEG noise included).
first=$(ls "$work/in" | head -1)
echo "PSNR brigade vs ImageMagick on $first: $(compare-im6.q16 -metric PSNR "$work/out-brigade/$first" \
  "$work/out-omp/$first" null: 2>&1) dB" >&2

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [l.split(maxsplit=3) for l in open(sys.argv[1])]
med = lambda way, t: statistics.median(float(r[2]) for r in rows if r[0] == way and r[1] == t)
print("| threads | brigade | ImageMagick, one process (OpenMP) | /brigade | ImageMagick, a process per file (xargs -P) | /brigade | brigade peak RSS |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for t in sorted({r[1] for r in rows}, key=int):
    b, o, x = med("brigade", t), med("omp", t), med("xargs", t)
    rss = max(json.loads(r[3])["peak_rss_mib"] for r in rows if r[0] == "brigade" and r[1] == t)
    print(f"| {t} | {b:.2f} s | {o:.2f} s | {o / b:.2f} | {x:.2f} s | {x / b:.2f} | {rss:.0f} MiB |")
PY
