#!/usr/bin/env bash
# Assembles the release: OUT/halo-<version>-linux-amd64/ laid out as Alluxio's
# tarball (bin/, conf/, libexec/, logs/, README) and OUT/halo-<version>-linux-amd64.tar.gz.
#   scripts/dist.sh OUT [BINARY]   # BINARY: a bin/halo built already (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/dist.sh OUT [BINARY]}
BINARY=${2:-}
VERSION=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' master/master.go)
NAME=halo-$VERSION-linux-amd64
TREE=$OUT/$NAME

rm -rf "$TREE" "$OUT/$NAME.tar.gz"
mkdir -p "$TREE/logs"
cp -R deploy/dist/. "$TREE/"
if [ -n "$BINARY" ]; then
  cp "$BINARY" "$TREE/bin/halo"
else
  # Static, so the tarball runs on any Linux whatever its C library.
  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 ${GO:-go} build -o "$TREE/bin/halo" ./cmd/halo
fi
tar -C "$OUT" -czf "$OUT/$NAME.tar.gz" "$NAME"
echo "$TREE"
