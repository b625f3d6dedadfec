#!/usr/bin/env bash
# Measures a demo cluster with `halo bench master`: CreateFile and
# GetFileStatus at 1, 16 and 64 threads, then prints one Markdown table.
# Uses the cluster in $DEMO_DIR if one is running; otherwise starts one
# (HA=raft: three masters on 127.0.0.1-3; HA=none: one master) and stops it
# on exit. `make bench` runs it after the go benchmarks.
#
#   scripts/bench.sh                       # HA=raft, 20s measured + 3s warmup per row
#   HA=none DURATION=10s scripts/bench.sh
#   OPS="CreateFile" THREADS="64" scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR=${DEMO_DIR:-$PWD/.demo}
HA=${HA:-raft}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
OPS=${OPS:-CreateFile GetFileStatus}
THREADS=${THREADS:-1 16 64}
BIN=$PWD/bin/halo
export ALLUXIO_CONF_DIR=$DEMO_DIR/conf

[ -x "$BIN" ] || { echo "$BIN is missing: run make build" >&2; exit 1; }

running() {
  local f
  for f in "$DEMO_DIR"/pids/*.pid; do
    [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && return 0
  done
  return 1
}

started=""
stop_started() {
  if [ -n "$started" ]; then
    DEMO_DIR=$DEMO_DIR scripts/demo.sh stop
  fi
}
trap stop_started EXIT

if running; then
  # Someone else's cluster: measure it as it is, and say which mode it is.
  if grep -q '^alluxio.master.journal.type=EMBEDDED' "$ALLUXIO_CONF_DIR/alluxio-site.properties"; then HA=raft; else HA=none; fi
  echo "using the running demo cluster in $DEMO_DIR (HA=$HA)" >&2
else
  DEMO_DIR=$DEMO_DIR HA=$HA scripts/demo.sh start >/dev/null
  started=yes
  echo "started a demo cluster in $DEMO_DIR (HA=$HA)" >&2
fi

# field NAME: the number after "NAME": in the JSON summary on stdin.
field() { sed -n "s/.*\"$1\": *\\([0-9.eE+-]*\\).*/\\1/p" | head -n1; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }

rows=()
for op in $OPS; do
  for n in $THREADS; do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "== $op, $n threads, $DURATION (+$WARMUP warmup); load average $load" >&2
    json=$("$BIN" bench master --operation "$op" --threads "$n" --duration "$DURATION" \
      --warmup "$WARMUP" --json)
    ops=$(field ops <<<"$json")
    errs=$(field errors <<<"$json")
    rate=$(field ops_per_sec <<<"$json")
    rows+=("$(printf '| %s | %s | %d | %.0f | %s | %s | %s | %s | %s |' \
      "$HA" "$op" "$n" "$rate" "$(ms "$(field p50_ns <<<"$json")")" \
      "$(ms "$(field p99_ns <<<"$json")")" "$(ms "$(field max_ns <<<"$json")")" \
      "$ops/$errs" "$load")")
    echo "${rows[-1]}" >&2
  done
done

echo
echo "halo bench master, $DURATION measured after $WARMUP warmup per row; $(nproc) CPUs"
echo
echo "| mode | operation | threads | ops/s | p50 ms | p99 ms | max ms | ops/errors | load avg (1/5/15 min) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
