#!/usr/bin/env bash
# Every hostile-script attack of the bounds work, one after another, against one private local
# cluster (1 worker process, 2 threads, default config): a table of what each got back (rc and
# error kind), how long it took, the worker's RSS after it, and whether the worker process
# survived (same pid, no watchdog replacement). The last row checks that a normal request is
# still answered quickly while 16 scripts run into the time limit at once.
#   bench/attacks.sh            uses .build/debug (or SEPIA_BIN=DIR, e.g. .build/release)
# Before/after: run it with SEPIA_BIN pointing at an older build to get the "before" column.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SEPIA_BIN:-.build/debug}
sepia="$bin/sepia"
[[ -x $sepia ]] || { echo "build first: swift build (or set SEPIA_BIN)" >&2; exit 1; }
command -v convert >/dev/null || { echo "needs ImageMagick's convert (make deps)" >&2; exit 1; }

work=$(mktemp -d /tmp/sepia-attacks.XXXXXX)
export SEPIA_HOME="$work/home"
port=$((20000 + RANDOM % 20000))
export SEPIA_BROKER="tcp://127.0.0.1:$port"
"$sepia" cluster up --workers 1 --threads 2 --data "$work/data" --classes classes \
  --client-endpoint "$SEPIA_BROKER" --worker-endpoint "tcp://127.0.0.1:$((port + 1))" --detach >/dev/null
trap '"$sepia" cluster down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

worker_pid() { pgrep -f "sepia-osd .*--data $work/data" | head -1; }
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
replacements() { grep -c "restarting this worker process" "$work/data/cluster.log" 2>/dev/null || true; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One handler per attack: function h(input, output) BODY return 0 end.
script() {
  printf 'function h(input, output)\n%s\nreturn 0\nend\ncls.register(h)\n' "$1" > "$work/attack.lua"
}

pid0=$(worker_pid)
printf '%-38s %-22s %9s %8s %s\n' "attack" "rc kind" "time ms" "RSS MB" "worker"
printf '%-38s %-22s %9s %8s %s\n' "(idle, before any attack)" "" "" "$(rss_mb "$pid0")" "pid $pid0"

row() {  # NAME BODY [OID]
  local name=$1 oid=${3:-victim}
  script "$2"
  local before_rep t0 t1 out rc kind message pid
  before_rep=$(replacements)
  t0=$(ms)
  out=$("$sepia" exec "$oid" "$work/attack.lua" h --json --timeout 60 2>/dev/null || true)
  t1=$(ms)
  rc=$(sed -n 's/.*"rc" *: *\(-\{0,1\}[0-9]*\).*/\1/p' <<<"$out" | head -1)
  kind=$(sed -n 's/.*"kind" *: *"\([a-z_]*\)".*/\1/p' <<<"$out" | head -1)
  message=$(sed -n 's/.*"message" *: *"\([^"]*\)".*/\1/p' <<<"$out" | head -1 | cut -c1-60)
  pid=$(worker_pid)
  local fate="lives"
  [[ $pid != "$pid0" ]] && fate="DIED (new pid $pid)"
  (( $(replacements) > before_rep )) && fate="REPLACED by the watchdog"
  printf '%-38s %-22s %9d %8s %s\n' "$name" "${rc:-none} ${kind}" $((t1 - t0)) "$(rss_mb "$pid")" "$fate${message:+ — $message}"
  pid0=$pid
}

row "nested gsub (C stack)" "local function f(n) return (('x'):gsub('x', function() return f(n + 1) end)) end f(0)"
row "nested load (C stack)" "local function r() load(r) return nil end load(r)"
row "backtracking pattern" "local s = ('a'):rep(3000) s:find(('a*'):rep(4) .. 'b')"
row "lazy pattern over 1 MB" "local s = ('x'):rep(1048576) s:find('.-y')"
row "gsub over 4 MB, every char" "local s = ('x'):rep(4194304) s:gsub('.', '%0%0')"
row "pack of 2049 shared 1 MiB strings" "local s = string.rep('x', 1048576) local t = {} for i = 1, 2049 do t[i] = s end cmsgpack.pack(t)"
row "  then a 1 GB allocation (cap holds)" "local s = string.rep('x', 1e9)"
row "pack of 100000 shared tables" "local a = {} for i = 1, 1000 do a[i] = i end local t = {} for i = 1, 100000 do t[i] = a end cmsgpack.pack(t)"
row "unpack of 4M empty arrays" "cmsgpack.unpack(string.char(0xdd, 0, 0x3d, 0x09, 0) .. string.rep(string.char(0x90), 4000000))"
row "  then a 1 GB allocation (cap holds)" "local s = string.rep('x', 1e9)"
row "pure Lua loop" "while true do end"
row "memory bomb (table growth)" "local t = {} for i = 1, 1e9 do t[i] = i end"
row "table.sort with a lying comparator" "local t = {} for i = 1, 100000 do t[i] = i end table.sort(t, function() return true end)"
row "string.rep to 2 GB" "local s = ('x'):rep(2^31 - 1)"
row "omap 64 x 16 MiB values" "local v = bufferlist.new() v:append(('x'):rep(16777216)) for i = 1, 64 do cls.map_set_val('k' .. i, v) end" omap-victim
row "map_set_vals 3 x 100000 entries" "for r = 1, 3 do local t = {} for i = 1, 100000 do t[r .. ':' .. i] = 'v' end cls.map_set_vals(t) end" omap-victim
log0=$(stat -c %s "$work/data/cluster.log")
row "cls.log 2000 x 1 MiB" "local s = ('x'):rep(1048576) for i = 1, 2000 do cls.log(s) end"
printf '%-38s %s\n' "  log growth" "$(( ($(stat -c %s "$work/data/cluster.log") - log0) / 1024 )) KiB"

# A 7000x7000 PNG (about 15 KB, under the 50 MP cap, about 390 MB of pixels at Q16).
convert -size 7000x7000 xc:gray "$work/big.png"
"$sepia" put big.png "$work/big.png" >/dev/null
row "thumbnail of a 7000x7000 PNG" "magick.thumb(cls.read(0, 0):str(), '64x64')" big.png
spill=$(find /tmp -maxdepth 1 -name 'magick-*' -newer "$work/big.png" 2>/dev/null | wc -l)
printf '%-38s %s\n' "  ImageMagick spill files left" "$spill"

# Many distinct 1 MB scripts: the script cache is bounded by bytes.
pid=$(worker_pid); before=$(rss_mb "$pid"); t0=$(ms)
for i in $(seq 1 20); do
  { printf -- '-- %s\n' "$i"; head -c 1000000 /dev/zero | tr '\0' ' '; printf '\nfunction h(input, output) return 0 end\ncls.register(h)\n'; } > "$work/big.lua"
  "$sepia" exec "s$i" "$work/big.lua" h >/dev/null 2>&1 || true
done
printf '%-38s %-22s %9d %8s %s\n' "20 distinct 1 MB scripts" "(RSS was $before MB)" $(( $(ms) - t0 )) "$(rss_mb "$pid")" \
  "$([[ $(worker_pid) == "$pid" ]] && echo lives || echo DIED)"

# Liveness under hostile load: 16 scripts that run into the 5 s limit, and one normal request.
script "while true do end"
for i in $(seq 1 16); do "$sepia" exec "loop$i" "$work/attack.lua" h --timeout 60 >/dev/null 2>&1 & done
sleep 0.5  # let the loops queue up first: this measures a request that arrives behind them
script "output:append('ok')"
t0=$(ms)
normal=$("$sepia" exec normal "$work/attack.lua" h --timeout 60 2>&1 || true)
t1=$(ms)
wait
printf '%-38s %-22s %9d %8s %s\n' "normal request behind 16 limit-hitters" "$normal" $((t1 - t0)) "$(rss_mb "$(worker_pid)")" \
  "$([[ $(worker_pid) == "$pid0" ]] && echo lives || echo DIED), $(replacements) watchdog replacements in all"
