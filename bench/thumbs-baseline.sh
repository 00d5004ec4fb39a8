#!/usr/bin/env bash
# Thumbnail throughput of the reference tools and of Sepia's in-process pipeline on the same
# JPEGs with the same cores: JOBS images at a time (default 1), each tool limited to one
# thread per image (OpenMP, libvips), so the figures compare like with like.
#   bench/thumbs-baseline.sh DIR [SIZE] [JOBS]   (DIR: *.jpg; SIZE: box edge, default 256)
# Sepia's side needs the test build (`swift build --build-tests`); it is skipped otherwise.
set -euo pipefail
dir=${1:?usage: $0 DIR [SIZE] [JOBS]}
size=${2:-256}
jobs=${3:-1}
shopt -s nullglob
files=("$dir"/*.jpg)
n=${#files[@]}
(( n > 0 )) || { echo "no .jpg files in $dir" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cores=$(nproc)  # before OMP_NUM_THREADS, which nproc obeys
export MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 VIPS_CONCURRENCY=1
printf '%s\0' "${files[@]}" > "$out/files"
box="${size}x${size}"

# One script per contender; hyperfine runs each as `bash FILE`.
echo "xargs -0 -P$jobs -n1 sh -c 'convert \"\$1\" -thumbnail $box \"\$0/c-\${1##*/}\"' $out < $out/files" > "$out/convert.sh"
echo "xargs -0 -P$jobs -n1 sh -c 'vipsthumbnail \"\$1\" -s $size -o \"\$0/v-%s.jpg\"' $out < $out/files" > "$out/vipsthumbnail-per-file.sh"
# All files through one process per job: the closest a CLI gets to in-process libvips.
echo "xargs -0 -P$jobs -n$(( (n + jobs - 1) / jobs )) vipsthumbnail -s $size -o \"$out/w-%s.jpg\" < $out/files" > "$out/vipsthumbnail-one-process.sh"
order=(convert vipsthumbnail-per-file vipsthumbnail-one-process)

echo "$n images from $dir, box $box, $jobs job(s) on $cores cores, $(date -u +%FT%TZ)"
declare -A rate cpurate
for name in "${order[@]}"; do
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs 3 --export-json "$out/$name.json" "bash $out/$name.sh" >/dev/null 2>&1
    read -r mean cpu < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print(r["mean"], r["user"]+r["system"])' "$out/$name.json")
  else
    start=$(date +%s.%N); bash "$out/$name.sh"; mean=$(python3 -c "print($(date +%s.%N) - $start)"); cpu=$mean
  fi
  rate[$name]=$(python3 -c "print(f'{$n/$mean:.2f}')")
  cpurate[$name]=$(python3 -c "print(f'{$n/$cpu:.2f}')")
  printf '%-28s %8.3f s  %7s images/s  %8.3f cpu-s  %7s images/cpu-s\n' "$name" "$mean" "${rate[$name]}" "$cpu" "${cpurate[$name]}"
done

if [[ -d .build ]] && command -v swift >/dev/null; then
  line=$(SEPIA_BENCH=1 SEPIA_BENCH_DIR="$dir" SEPIA_BENCH_SPEC="$box" SEPIA_BENCH_THREADS="$jobs" \
         swift test --skip-build --filter ThumbBenchmark 2>&1 | grep 'bench: sepia' || true)
  if [[ -n $line ]]; then
    rate[sepia-in-process]=$(sed -E 's/.* ([0-9.]+) images\/s,.*/\1/' <<<"$line")
    cpurate[sepia-in-process]=$(sed -E 's/.* ([0-9.]+) images\/cpu-s.*/\1/' <<<"$line")
    printf '%-28s %8s    %7s images/s  %8s        %7s images/cpu-s\n' sepia-in-process "" "${rate[sepia-in-process]}" "" "${cpurate[sepia-in-process]}"
  fi
fi

echo "ratios vs convert -thumbnail (higher is faster): wall-clock, CPU time"
for name in "${order[@]}" sepia-in-process; do
  if [[ -n ${rate[$name]:-} ]]; then
    python3 -c "print(f'  {\"$name\":<28} {${rate[$name]}/${rate[convert]}:.2f}x  {${cpurate[$name]}/${cpurate[convert]}:.2f}x')"
  fi
done
