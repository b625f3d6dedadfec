#!/usr/bin/env bash
# Builds and runs a MinIO server on loopback for tests and for trying the S3
# adapter.
#
#   scripts/minio.sh build                 # go install MinIO into the cache (about 5 min cold on 2 cores)
#   scripts/minio.sh run --dir DIR [--port P]
#
# `run` builds if needed, then runs the server in the foreground on
# 127.0.0.1:P (a free port when P is 0 or missing) with its data in DIR and
# the root credentials below, and prints "READY http://127.0.0.1:<port>"
# once it answers. It stops on end of standard input or SIGTERM, so a test can
# hold it with a pipe. For a shell session:
#   scripts/minio.sh run --dir /tmp/minio --port 9000 < <(sleep infinity) &
#
# The binary lives in $HALO_CACHE/minio-<version>/bin/minio (HALO_CACHE
# defaults to ~/.cache/halo) and is reused once built.
set -euo pipefail
VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
CACHE=${HALO_CACHE:-$HOME/.cache/halo}
DIR=$CACHE/minio-$VERSION
BIN=$DIR/bin/minio
# Fixed test credentials: the server only listens on loopback.
export MINIO_ROOT_USER=${MINIO_ROOT_USER:-halo-test}
export MINIO_ROOT_PASSWORD=${MINIO_ROOT_PASSWORD:-halo-test-secret}

build() {
  if [ -x "$BIN" ]; then return 0; fi
  mkdir -p "$DIR"
  exec 9>"$DIR.lock"
  flock 9
  if [ -x "$BIN" ]; then return 0; fi
  command -v go >/dev/null || { echo "minio.sh: go not found" >&2; exit 1; }
  echo "minio.sh: building MinIO $VERSION into $DIR (several minutes on a cold cache)..." >&2
  local log=$DIR/build.log
  # A temporary GOBIN, moved into place at the end, so an interrupted build
  # never leaves a half-written binary that the check above would accept.
  rm -rf "$DIR/bin.tmp"
  if ! (cd "$DIR" && GOBIN=$DIR/bin.tmp GOFLAGS=-buildvcs=false go install "github.com/minio/minio@$VERSION") >"$log" 2>&1; then
    echo "minio.sh: go install failed; see $log" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  mkdir -p "$DIR/bin"
  mv "$DIR/bin.tmp/minio" "$BIN"
  rm -rf "$DIR/bin.tmp"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

run() {
  local dir="" port=0
  while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    *) echo "minio.sh: unknown argument $1" >&2; exit 2 ;;
    esac
  done
  [ -n "$dir" ] || { echo "minio.sh: --dir is required" >&2; exit 2; }
  build
  [ "$port" != 0 ] || port=$(free_port)
  mkdir -p "$dir"
  exec 3<&0
  MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=1 \
    "$BIN" server --quiet --address "127.0.0.1:$port" "$dir" </dev/null >&2 &
  local pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 0" TERM INT
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "minio.sh: the server exited before it was ready" >&2
      exit 1
    fi
    if curl -fsS "http://127.0.0.1:$port/minio/health/ready" >/dev/null 2>&1; then
      echo "READY http://127.0.0.1:$port"
      # Stop when standard input ends (the test that started us is gone).
      # cat runs in the background so that SIGTERM's trap runs at once.
      cat <&3 >/dev/null &
      wait $! || true
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null || true
      exit 0
    fi
    sleep 0.1
  done
  echo "minio.sh: the server did not become ready within 60 s" >&2
  kill "$pid" 2>/dev/null
  exit 1
}

case "${1:-}" in
build) build; echo "$BIN" ;;
run) shift; run "$@" ;;
*) echo "usage: $0 build | run --dir DIR [--port PORT]" >&2; exit 2 ;;
esac
