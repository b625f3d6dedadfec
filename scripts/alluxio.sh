#!/usr/bin/env bash
# Fetches the real Alluxio 2.9.3 programs that the compatibility tests run
# (internal/testinfra/alluxio): the shell, the admin shell and a master
# (pom.xml there), and Hadoop's FsShell with Alluxio's shaded client
# (hadoop-pom.xml there), and Hadoop's FileSystem contract suites
# (contract-pom.xml there), from Maven Central into ~/.m2.
#
#   scripts/alluxio.sh build    # resolve once; prints the folder with the class paths
#
# The folder, $HALO_CACHE/alluxio-2.9.3-<hash of the poms> (HALO_CACHE
# defaults to ~/.cache/halo), holds alluxio.classpath, hadoop.classpath and
# contract.classpath.
# A second run reads them and touches no network; Maven runs offline first,
# so a machine whose ~/.m2 has the jars needs none either.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/internal/testinfra/alluxio
CACHE=${HALO_CACHE:-$HOME/.cache/halo}
POMS=(pom.xml hadoop-pom.xml contract-pom.xml)

hash_poms() {
  (cd "$SRC" && sha256sum "${POMS[@]}") | sha256sum | cut -c1-16
}

OUT=$CACHE/alluxio-2.9.3-$(hash_poms)

# complete: the class paths were written and every jar they name is still
# there (~/.m2 may have been cleaned since).
complete() {
  [ -f "$OUT/ok" ] || return 1
  local cp jar
  for cp in "$OUT/alluxio.classpath" "$OUT/hadoop.classpath" "$OUT/contract.classpath"; do
    [ -s "$cp" ] || return 1
    while IFS= read -r jar; do
      [ -f "$jar" ] || return 1
    done < <(tr ':' '\n' <"$cp")
  done
}

# resolve POM OUTFILE: the pom's runtime class path into OUTFILE.
resolve() {
  local args=(-B -q -Dstyle.color=never -f "$SRC/$1" dependency:build-classpath "-Dmdep.outputFile=$2")
  local log=$CACHE/alluxio-resolve.log
  if mvn -o "${args[@]}" >"$log" 2>&1; then return 0; fi
  echo "alluxio.sh: fetching the jars of $1 from Maven Central (once)..." >&2
  if ! mvn "${args[@]}" >"$log" 2>&1; then
    echo "alluxio.sh: Maven failed on $1; see $log" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

build() {
  if complete; then return 0; fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/alluxio.lock"
  flock 9
  if complete; then return 0; fi
  command -v mvn >/dev/null || { echo "alluxio.sh: mvn not found; install Maven and JDK 17" >&2; exit 1; }
  command -v java >/dev/null || { echo "alluxio.sh: java not found; install JDK 17" >&2; exit 1; }
  rm -rf "$OUT"
  mkdir -p "$OUT"
  resolve pom.xml "$OUT/alluxio.classpath"
  resolve hadoop-pom.xml "$OUT/hadoop.classpath"
  resolve contract-pom.xml "$OUT/contract.classpath"
  touch "$OUT/ok"
}

case "${1:-}" in
build) build; echo "$OUT" ;;
*) echo "usage: $0 build" >&2; exit 2 ;;
esac
