#!/usr/bin/env bash
# One command for the thumbnail comparison: images/s of `sepia thumbs make` (through a private
# cluster: client → broker → worker, MagickWand in the worker) against `convert -thumbnail` and
# vipsthumbnail on the SAME files with the SAME number of cores.
#   bench/thumbs-compare.sh [DIR] [COUNT] [JOBS]
#     DIR    corpus folder; made with `sepia thumbs samples` when missing or empty
#            (default /tmp/sepia-thumbs-corpus, COUNT images of 4000x3000 and 1920x1080)
#     JOBS   images at a time for the tools = sepia workers (one thread each); default 1
# Needs the release build (`swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/sepia-thumbs-corpus}
count=${2:-24}
jobs=${3:-1}
rounds=${ROUNDS:-3}
sepia=.build/release/sepia
[[ -x $sepia ]] || { echo "build first: swift build -c release" >&2; exit 1; }
shopt -s nullglob
files=("$dir"/*.jpg)
if (( ${#files[@]} == 0 )); then
  "$sepia" thumbs samples "$dir" --count "$count" --sizes 4000x3000,1920x1080 >/dev/null
fi

echo "== reference tools (bench/thumbs-baseline.sh, $jobs job(s))"
# The baseline script also runs Sepia's in-process pipeline when the test build exists.
baseline=$(bench/thumbs-baseline.sh "$dir" 256 "$jobs")
echo "$baseline"
convert_rate=$(awk '$1 == "convert" { print $4 }' <<<"$baseline")

echo "== sepia thumbs make through a private cluster ($jobs worker(s), 1 thread each, medians of $rounds rounds)"
if (( jobs == 1 )); then
  out=$("$sepia" bench thumbs --workers 1 --threads 1 --corpus "$dir" --spec 256x256 --rounds "$rounds" --images "${IMAGES:-96}" --json)
else
  out=$("$sepia" bench scale --scenario thumbs --max-workers "$jobs" --corpus "$dir" --spec 256x256 --rounds "$rounds" --images "${IMAGES:-96}" --json)
fi
sepia_rate=$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print(d["thumbs"]["images_per_second"] if "thumbs" in d else d["scale"]["rows"][-1]["per_second"])' <<<"$out")
printf '%-28s %7.2f images/s\n' "sepia-cluster" "$sepia_rate"
python3 -c "print(f'ratio sepia-cluster / convert -thumbnail: {$sepia_rate / $convert_rate:.2f}x')"
