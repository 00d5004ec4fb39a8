#!/usr/bin/env bash
# Thumbnail throughput of the reference tools and of Sepia's in-process pipeline on the same
# JPEGs, one core each (OpenMP and libvips threads limited to 1, so the figures are per core
# and comparable; run two of anything to use both cores of the VM).
#   bench/thumbs-baseline.sh DIR [SIZE]        (DIR: *.jpg; SIZE: box edge, default 256)
# Sepia's side needs the test build (`swift build --build-tests`); it is skipped otherwise.
set -euo pipefail
dir=${1:?usage: $0 DIR [SIZE]}
size=${2:-256}
shopt -s nullglob
files=("$dir"/*.jpg)
n=${#files[@]}
(( n > 0 )) || { echo "no .jpg files in $dir" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cores=$(nproc)  # before OMP_NUM_THREADS, which nproc obeys
export MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 VIPS_CONCURRENCY=1
printf -v list '%q ' "${files[@]}"

declare -A commands=(
  [convert]="for f in $list; do convert \"\$f\" -thumbnail ${size}x${size} $out/c.jpg; done"
  [vipsthumbnail-per-file]="for f in $list; do vipsthumbnail \"\$f\" -s $size -o $out/v.jpg; done"
  [vipsthumbnail-one-process]="vipsthumbnail $list -s $size -o $out/%s.jpg"
)
order=(convert vipsthumbnail-per-file vipsthumbnail-one-process)

echo "$n images from $dir, box ${size}x${size}, $cores cores, one thread per tool, $(date -u +%FT%TZ)"
declare -A rate
for name in "${order[@]}"; do
  echo "${commands[$name]}" > "$out/$name.sh"
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs 3 --export-json "$out/$name.json" "bash $out/$name.sh" >/dev/null
    mean=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["mean"])' "$out/$name.json")
  else
    start=$(date +%s.%N); bash "$out/$name.sh"; mean=$(python3 -c "print($(date +%s.%N) - $start)")
  fi
  rate[$name]=$(python3 -c "print(f'{$n/$mean:.2f}')")
  printf '%-28s %8.3f s  %7s images/s\n' "$name" "$mean" "${rate[$name]}"
done

if [[ -d .build ]] && command -v swift >/dev/null; then
  line=$(SEPIA_BENCH=1 SEPIA_BENCH_DIR="$dir" SEPIA_BENCH_SPEC="${size}x${size}" \
         swift test --skip-build --filter ThumbBenchmark 2>&1 | grep 'bench: sepia' || true)
  if [[ -n $line ]]; then
    sepia=$(sed -E 's/.* ([0-9.]+) images\/s.*/\1/' <<<"$line")
    rate[sepia]=$sepia
    printf '%-28s %8s    %7s images/s\n' "sepia-in-process" "" "$sepia"
  fi
fi

echo "ratios vs convert -thumbnail (higher is faster):"
for name in "${order[@]}" sepia; do
  [[ -n ${rate[$name]:-} ]] && python3 -c "print(f'  {\"$name\":<28} {${rate[$name]}/${rate[convert]}:.2f}x')"
done
