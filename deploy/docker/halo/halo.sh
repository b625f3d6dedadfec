#!/bin/bash
# halo with the -Dkey=value options of ALLUXIO_JAVA_OPTS (and
# ALLUXIO_MASTER_JAVA_OPTS, ALLUXIO_WORKER_JAVA_OPTS) applied before the
# command's own, as Alluxio's bin/alluxio does, so that `docker exec` of any
# command sees the container's configuration. JVM options other than -D
# mean nothing here and are skipped.
set -f
defines=()
for opt in ${ALLUXIO_JAVA_OPTS:-} ${ALLUXIO_MASTER_JAVA_OPTS:-} ${ALLUXIO_WORKER_JAVA_OPTS:-}; do
  case "$opt" in
  -D?*=*) defines+=(-D "${opt#-D}") ;;
  esac
done
exec /opt/halo/bin/halo "${defines[@]}" "$@"
