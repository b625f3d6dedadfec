#!/usr/bin/env bash
# Builds the images the compose files run, from what this machine reaches
# (Debian's packages and Go modules), never from a prebuilt image or binary:
#   debian:bookworm-slim    made with debootstrap when the engine has none (base.sh)
#   halo:latest             the static halo binary (CGO_ENABLED=0) on that base
#   halo-zookeeper:latest   Debian's zookeeper package on that base
#   halo-minio:latest       the MinIO binary scripts/minio.sh builds, on that base
#
#   deploy/docker/images.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
HALO_IMAGE=${HALO_IMAGE:-halo:latest}
ZOOKEEPER_IMAGE=${ZOOKEEPER_IMAGE:-halo-zookeeper:latest}
MINIO_IMAGE=${MINIO_IMAGE:-halo-minio:latest}

# The engine here has no buildx; the classic builder is what it has.
export DOCKER_BUILDKIT=0
deploy/docker/engine.sh start
deploy/docker/base.sh

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT

# build IMAGE FOLDER [FILE...]: the folder's Dockerfile with the given
# files copied beside it.
build() {
  local image=$1 folder=$2 dir
  shift 2
  dir=$context/$(basename "$folder")
  cp -r "$folder" "$dir"
  [ $# -eq 0 ] || cp "$@" "$dir/"
  echo "images.sh: building $image" >&2
  if ! docker build -t "$image" "$dir" >"$dir.log" 2>&1; then
    tail -n 30 "$dir.log" >&2
    exit 1
  fi
}

CGO_ENABLED=0 go build -trimpath -o "$context/halo-bin" ./cmd/halo
mkdir -p "$context/bin" && mv "$context/halo-bin" "$context/bin/halo"
build "$HALO_IMAGE" deploy/docker/halo "$context/bin/halo"
build "$ZOOKEEPER_IMAGE" deploy/docker/zookeeper
build "$MINIO_IMAGE" deploy/docker/minio "$(scripts/minio.sh build)"
