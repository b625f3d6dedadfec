#!/bin/bash
# The container's command:
#   master        formats this master's embedded journal the first time, then runs the master
#   format-once   formats the shared journal unless $HALO_FORMAT_MARKER says it was done
#   worker        runs a worker
#   anything else is a halo command (fs, fsadmin, getConf, ...)
set -euo pipefail

embedded_journal_unformatted() {
  [ "$(halo getConf alluxio.master.journal.type)" = EMBEDDED ] &&
    [ ! -d "$(halo getConf alluxio.master.journal.folder)/raft" ]
}

case "${1:-master}" in
master)
  shift || true
  # Only an empty embedded journal is formatted: a restarted container keeps
  # its volume, and its Raft log with it.
  if embedded_journal_unformatted; then halo format; fi
  exec halo master "$@"
  ;;
format-once)
  # The shared journal is formatted by one container, once per volume of
  # markers: formatting again would wipe what the masters acknowledged.
  marker=${HALO_FORMAT_MARKER:-/var/lib/halo/format/formatted}
  if [ -e "$marker" ]; then exit 0; fi
  halo format
  mkdir -p "$(dirname "$marker")"
  touch "$marker"
  ;;
worker)
  shift
  exec halo worker "$@"
  ;;
*)
  exec halo "$@"
  ;;
esac
