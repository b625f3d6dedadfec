#!/usr/bin/env bash
# Stops Halo's masters and workers the way Alluxio's alluxio-stop.sh does:
# SIGTERM first (a Raft leader hands leadership to another master before it
# exits), SIGKILL after $ALLUXIO_STOP_TIMEOUT seconds.
set -euo pipefail
# shellcheck source=../libexec/alluxio-config.sh
. "$(dirname "${BASH_SOURCE[0]}")/../libexec/alluxio-config.sh"

usage() {
  cat <<USAGE
Usage: alluxio-stop.sh ACTION
Where ACTION is one of:
  all        Stop the masters (conf/masters) and workers (conf/workers).
  local      Stop the masters and workers on this host.
  master     Stop the masters on this host.
  masters    Stop the masters on the hosts in conf/masters.
  worker     Stop the worker on this host.
  workers    Stop the workers on the hosts in conf/workers.
  job_master, job_masters, job_worker, job_workers, proxy, proxies, logserver
             Accepted; Halo runs none of these.
A process is found by its pid file in \$ALLUXIO_PID_DIR ($ALLUXIO_PID_DIR).
USAGE
}

# stop_pidfile PIDFILE WORD ends the process the pid file names, if it is
# still the one started (its command line holds WORD), and removes the file.
stop_pidfile() {
  local pidfile=$1 word=$2 pid waited=0
  if pid=$(pid_running "$pidfile" "$word"); then
    echo "Stopping $word (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((ALLUXIO_STOP_TIMEOUT * 10)) ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$word (pid $pid) still runs ${ALLUXIO_STOP_TIMEOUT}s after SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# stop_local ROLE WORD stops this host's processes of ROLE (master,
# worker): the one of HALO_HOST when a fan-out names it, else every one.
stop_local() {
  local role=$1 word=$2 pidfile
  if [ -n "${HALO_HOST:-}" ]; then
    stop_pidfile "$ALLUXIO_PID_DIR/$role-$HALO_HOST.pid" "$word"
    return
  fi
  for pidfile in "$ALLUXIO_PID_DIR/$role"-*.pid; do
    [ -e "$pidfile" ] || continue
    stop_pidfile "$pidfile" "$word"
  done
}

ACTION=${1:-}
case $ACTION in
all)
  on_hosts masters "$ALLUXIO_HOME/bin/alluxio-stop.sh" master
  on_hosts workers "$ALLUXIO_HOME/bin/alluxio-stop.sh" worker
  ;;
local)
  stop_local master AlluxioMaster
  stop_local worker AlluxioWorker
  ;;
master) stop_local master AlluxioMaster ;;
masters) on_hosts masters "$ALLUXIO_HOME/bin/alluxio-stop.sh" master ;;
worker) stop_local worker AlluxioWorker ;;
workers) on_hosts workers "$ALLUXIO_HOME/bin/alluxio-stop.sh" worker ;;
job_master | job_masters | job_worker | job_workers | proxy | proxies | logserver)
  echo "$ACTION: Halo runs no job service, proxy or log server; nothing to stop"
  ;;
-h | --help) usage ;;
*)
  usage >&2
  exit 2
  ;;
esac
