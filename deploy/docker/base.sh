#!/usr/bin/env bash
# Makes the image debian:bookworm-slim when this engine has none: a minimal
# Debian root made with debootstrap from the machine's own Debian mirror and
# imported, so that the Dockerfiles here name the official base and work
# unchanged where it can be pulled. Nothing prebuilt is downloaded.
#
#   deploy/docker/base.sh
set -euo pipefail
IMAGE=debian:bookworm-slim

if docker image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi

# The first Debian archive (not the security one) this machine's apt uses.
mirror() {
  local url
  url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(https?)://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
  echo "${url:-http://deb.debian.org/debian}"
}

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
fi
root=$(mktemp -d /var/tmp/halo-bookworm.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base.sh: making $IMAGE with debootstrap from $(mirror) (about a minute)..." >&2
debootstrap --variant=minbase bookworm "$root" "$(mirror)" >"$root.log" 2>&1 || {
  tail -n 20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
# As slim as the official image: no package cache or lists, which every
# Dockerfile's apt-get update fetches anew.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*
tar -C "$root" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$IMAGE" >/dev/null
echo "base.sh: $IMAGE imported" >&2
