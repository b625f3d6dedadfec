#!/usr/bin/env bash
# Builds and runs the MiniDFSCluster launcher in deploy/minicluster, a
# one-datanode HDFS on 127.0.0.1 for tests and for trying the HDFS adapter.
#
#   scripts/hdfs.sh build                       # compile it (Maven; offline when ~/.m2 has the jars)
#   scripts/hdfs.sh run --dir DIR [--port P]    # build if needed, then run in the foreground
#
# `run` prints "READY hdfs://127.0.0.1:<port>" once the cluster serves, and
# stops on end of standard input or SIGTERM, so a test can hold it with a
# pipe: it dies with the test. For a shell session:
#   scripts/hdfs.sh run --dir /tmp/hdfs --port 9000 < <(sleep infinity) &
# The build goes to $HALO_CACHE/minicluster-<hash of the sources>
# (HALO_CACHE defaults to ~/.cache/halo), so the work tree stays clean and a
# changed launcher is rebuilt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/deploy/minicluster
CACHE=${HALO_CACHE:-$HOME/.cache/halo}

hash_sources() {
  (cd "$SRC" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}

BUILD=$CACHE/minicluster-$(hash_sources)

build() {
  if [ -f "$BUILD/ok" ]; then return 0; fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/minicluster.lock"
  flock 9
  if [ -f "$BUILD/ok" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "hdfs.sh: mvn not found; install Maven and JDK 17" >&2; exit 1; }
  command -v java >/dev/null || { echo "hdfs.sh: java not found; install JDK 17" >&2; exit 1; }
  rm -rf "$BUILD"
  local goals=(compile dependency:build-classpath "-Dmdep.outputFile=$BUILD/classpath.txt" "-Dhalo.build.dir=$BUILD/target")
  local log=$CACHE/minicluster-build.log
  # Offline first: on a machine that has built it before this needs no network.
  if ! mvn -B -q -o -f "$SRC/pom.xml" "${goals[@]}" >"$log" 2>&1; then
    echo "hdfs.sh: building the MiniDFSCluster launcher (downloads hadoop-client-minicluster once)..." >&2
    if ! mvn -B -q -f "$SRC/pom.xml" "${goals[@]}" >"$log" 2>&1; then
      echo "hdfs.sh: Maven build failed; see $log" >&2
      tail -n 30 "$log" >&2
      exit 1
    fi
  fi
  touch "$BUILD/ok"
}

run() {
  build
  exec java -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -cp "$BUILD/target/classes:$(cat "$BUILD/classpath.txt")" \
    io.halo.minicluster.MiniHdfs "$@"
}

case "${1:-}" in
build) build; echo "$BUILD" ;;
run) shift; run "$@" ;;
*) echo "usage: $0 build | run --dir DIR [--port PORT] [--datanodes N]" >&2; exit 2 ;;
esac
