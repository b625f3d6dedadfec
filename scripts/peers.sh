#!/usr/bin/env bash
# Installs the systems `make bench-peers` measures Halo against, then runs
# the benchmark (bench/peers, TestPeers with the build tag "peers"): a
# 3-server ZooKeeper ensemble (Debian's zookeeper), a 3-member etcd cluster
# (Debian's etcd-server) and a 3-master Alluxio 2.9.3 cluster with an
# embedded journal (its jars from Maven Central), each on 127.0.0.1-3,
# started and stopped by the benchmark itself, one system after another.
#
#   scripts/peers.sh install          # as root: apt-get install what is missing; resolve the Alluxio jars
#   scripts/peers.sh run [FLAGS...]   # install, build bin/halo, run; FLAGS go to the benchmark:
#       -duration 8s -warmup 1s -threads 1,16,64 -failover-trials 3
#       -systems zookeeper,etcd,halo-raft,alluxio -out FILE
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}

die() { echo "peers.sh: $*" >&2; exit 1; }

install_etcd() {
  command -v etcd >/dev/null && return 0
  [ "$(id -u)" = 0 ] || die "etcd is not installed and installing it needs root: apt-get install etcd-server"
  echo "peers.sh: installing the Debian etcd-server package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq etcd-server >/dev/null || die "apt-get install etcd-server failed"
  command -v etcd >/dev/null || die "etcd-server is installed but etcd is not on PATH"
}

install() {
  "$ROOT/scripts/zookeeper.sh" install
  install_etcd
  "$ROOT/scripts/alluxio.sh" build >/dev/null
}

case "${1:-}" in
install)
  install
  ;;
run)
  shift
  install
  (cd "$ROOT" && $GO build -o bin/halo ./cmd/halo)
  cd "$ROOT/bench/peers"
  HALO_BINARY=$ROOT/bin/halo exec $GO test -tags peers -count=1 -timeout 3h -run '^TestPeers$' -v . -args "$@"
  ;;
*)
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
