#!/usr/bin/env bash
# Measures a demo cluster and prints one Markdown table.
#
# master (the default): `halo bench master`, CreateFile and GetFileStatus at
# 1, 16 and 64 threads. `make bench` runs it after the go benchmarks.
# data: `halo bench data`, write and read throughput of 1 and 16 clients
# moving TOTAL between them (1 client × 1GB, 16 × 64MB), short-circuit and
# through the worker's stream, reads warm and cold (from the UFS), each
# beside the raw tmpfs rate. `make bench-data` runs it.
#
# Uses the cluster in $DEMO_DIR if one is running; otherwise starts one
# (HA=raft: three masters on 127.0.0.1-3, a worker beside each; HA=none: one
# master) and stops it on exit.
#
#   scripts/bench.sh                       # HA=raft, 20s measured + 3s warmup per row
#   HA=none DURATION=10s scripts/bench.sh
#   OPS="CreateFile" THREADS="64" scripts/bench.sh
#   scripts/bench.sh data                  # every data row
#   CLIENTS=16 PATHS=remote WARMTH=cold scripts/bench.sh data
#   # cold reads from a MinIO bucket mounted at /s3 (-D: the UFS baseline's credentials):
#   WRITES=no WARMTH=cold DATA_FLAGS="--base /s3/bench-data" HALO_FLAGS="-D aws.accessKeyId=… …" scripts/bench.sh data
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-master}
DEMO_DIR=${DEMO_DIR:-$PWD/.demo}
HA=${HA:-raft}
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
OPS=${OPS:-CreateFile GetFileStatus}
THREADS=${THREADS:-1 16 64}
TOTAL_MB=${TOTAL_MB:-1024}
CLIENTS=${CLIENTS:-1 16}
PATHS=${PATHS:-short-circuit remote}
WARMTH=${WARMTH:-warm cold}
# Extra words for `halo` (before `bench`) and for `bench data`.
read -r -a HALO_FLAGS <<<"${HALO_FLAGS:-}"
read -r -a DATA_FLAGS <<<"${DATA_FLAGS:-}"
BIN=$PWD/bin/halo
case "$MODE" in
master | data) ;;
*) echo "unknown mode $MODE: master or data" >&2; exit 2 ;;
esac
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
  # The data rows hold up to TOTAL in the workers' MEM tiers at once.
  mem=${DEMO_WORKER_MEM:-512MB}
  if [ "$MODE" = data ]; then mem=${DEMO_WORKER_MEM:-2GB}; fi
  DEMO_DIR=$DEMO_DIR HA=$HA DEMO_WORKER_MEM=$mem scripts/demo.sh start >/dev/null
  started=yes
  echo "started a demo cluster in $DEMO_DIR (HA=$HA)" >&2
fi

# field NAME: the number after "NAME": in the JSON summary on stdin.
field() { sed -n "s/.*\"$1\": *\\([0-9.eE+-]*\\).*/\\1/p" | head -n1; }
# sfield NAME: the string after "NAME": in the JSON summary on stdin.
sfield() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n1; }
ms() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e6 }'; }

# data_row OP CLIENTS PATH WARMTH: one `bench data` run as a table row.
data_row() {
  local op=$1 n=$2 path=$3 warmth=$4 load json args
  args=(--operation "$op" --clients "$n" --size "$((TOTAL_MB / n))MB" --json "${DATA_FLAGS[@]}")
  if [ "$path" = remote ]; then args+=(--no-short-circuit); fi
  if [ "$warmth" = cold ]; then args+=(--cold); fi
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "== bench data ${args[*]}; load average $load" >&2
  json=$("$BIN" "${HALO_FLAGS[@]}" bench data "${args[@]}")
  printf '| %s | %d × %d MiB | %s | %s | %s | %.0f | %.0f | %.0f%% | %s | %s | %s |' \
    "$op" "$n" "$((TOTAL_MB / n))" "$path" "$(sfield write_type <<<"$json")" "$warmth" \
    "$(field mb_per_sec <<<"$json")" "$(field raw_mb_per_sec <<<"$json")" \
    "$(awk -v r="$(field raw_ratio <<<"$json")" 'BEGIN { print 100 * r }')" \
    "$(ufs_cell "$(field ufs_mb_per_sec <<<"$json")")" \
    "$(ufs_cell "$(field ufs_ratio <<<"$json")" pct)" "$load"
}

# ufs_cell VALUE [pct]: a UFS column's cell, empty for warm rows.
ufs_cell() {
  if [ -z "$1" ]; then return; fi
  if [ "${2:-}" = pct ]; then awk -v r="$1" 'BEGIN { printf "%.0f%%", 100 * r }'; else printf '%.0f' "$1"; fi
}

if [ "$MODE" = data ]; then
  rows=()
  for n in $CLIENTS; do
    for path in $PATHS; do
      if [ "${WRITES:-yes}" = yes ]; then
        rows+=("$(data_row write "$n" "$path" -)")
        echo "${rows[-1]}" >&2
      fi
      for warmth in $WARMTH; do
        rows+=("$(data_row read "$n" "$path" "$warmth")")
        echo "${rows[-1]}" >&2
      done
    done
  done
  echo
  echo "halo bench data, $TOTAL_MB MB per row split between the clients; MEM tier in /dev/shm; $(nproc) CPUs; MB = 10^6 bytes"
  echo
  echo "| operation | clients × file | path | write type | reads | MB/s | raw tmpfs MB/s | of raw | UFS alone MB/s | of UFS | load avg (1/5/15 min) |"
  echo "|---|---|---|---|---|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  exit 0
fi

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
