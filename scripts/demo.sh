#!/usr/bin/env bash
# The main job end to end: a local cluster, sample images, uploads, thumbnails for two specs,
# one fetched, the summary, and the cluster stopped. No network needed.
set -euo pipefail
BIN="${SEPIA_BIN:-$(swift build -c release --show-bin-path)}"
export PATH="$BIN:$PATH"
WORK="$(mktemp -d /tmp/sepia-demo.XXXXXX)"
export SEPIA_HOME="$WORK/home"          # the demo's cluster state, apart from any other cluster
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "start a local cluster: a broker and 2 workers on 127.0.0.1 (data in $WORK/data)"
sepia cluster up --workers 2 --data "$WORK/data" --client-endpoint tcp://127.0.0.1:17700 --worker-endpoint tcp://127.0.0.1:17701 --detach
trap 'step "stop the cluster"; sepia cluster down' EXIT

step "make 40 sample images (JPEG, 1600x1200 and 1024x768, some with EXIF rotation)"
sepia thumbs samples "$WORK/images" --count 40 --sizes 1600x1200,1024x768

step "upload them: one object per image, indexed as 'original' in its omap"
sepia thumbs put "$WORK/images" --prefix demo/

step "make 256x256 thumbnails inside the workers"
sepia thumbs make --spec 256x256 --prefix demo/

step "make 128x128# (fill + centre crop) thumbnails"
sepia thumbs make --spec '128x128#' --prefix demo/

step "again: every thumbnail is already there"
sepia thumbs make --spec 256x256 --prefix demo/

FIRST="$(sepia ls --prefix demo/ | head -n 1 || true)"  # head closes the pipe early
step "fetch one: $FIRST at 256x256"
sepia thumbs get "$FIRST" --spec 256x256 -o "$WORK/thumb.jpg"
identify "$WORK/thumb.jpg" 2>/dev/null || ls -l "$WORK/thumb.jpg"
sepia call "$FIRST" hash.sha256 && echo "   (sha256 of the object's data, computed next to it)"

step "cluster status"
sepia status
