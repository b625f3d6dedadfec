#!/usr/bin/env bash
# Runs a command on every host in conf/workers, as Alluxio's alluxio-workers.sh
# does: on this machine's own addresses directly, elsewhere over ssh, with
# HALO_HOST set to the host. Output lines carry the host.
set -euo pipefail
# shellcheck source=../libexec/alluxio-config.sh
. "$(dirname "${BASH_SOURCE[0]}")/../libexec/alluxio-config.sh"

if [ $# -eq 0 ]; then
  echo "Usage: alluxio-workers.sh COMMAND [ARGS...]" >&2
  exit 2
fi
on_hosts workers "$@"
