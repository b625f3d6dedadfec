#!/usr/bin/env bash
# Starts Halo's masters and workers the way Alluxio's alluxio-start.sh does.
set -euo pipefail
# shellcheck source=../libexec/alluxio-config.sh
. "$(dirname "${BASH_SOURCE[0]}")/../libexec/alluxio-config.sh"

usage() {
  cat <<USAGE
Usage: alluxio-start.sh [-hN] [-i backup] ACTION [MOPT] [-f]
Where ACTION is one of:
  all [MOPT]        Start all masters (conf/masters) and workers (conf/workers).
  local [MOPT]      Start a master and a worker on this host.
  master            Start the master on this host.
  masters           Start masters on the hosts in conf/masters.
  worker [MOPT]     Start a worker on this host.
  workers [MOPT]    Start workers on the hosts in conf/workers.
  job_master, job_masters, job_worker, job_workers, proxy, proxies, logserver
                    Accepted for Alluxio's scripts and do nothing: Halo runs
                    no job service, proxy or log server.

MOPT (for the MEM tier at alluxio.worker.tieredstore.level0.dirs.path) is one of:
  Mount             Mount a tmpfs of alluxio.worker.ramdisk.size there (as root).
  SudoMount         The same through sudo.
  NoMount           Mount nothing; check that the path is in a tmpfs or ramfs (the default).

-f  format the journals (and the workers' storage) before starting.
-i  start new masters from this backup (alluxio.master.journal.init.from.backup).
-N  do not stop the processes already running before starting.
-h  print this help.
Logs go to alluxio.logs.dir (master.log, worker.log; stdout and stderr in
*.out); pid files to \$ALLUXIO_PID_DIR ($ALLUXIO_PID_DIR).
USAGE
}

# launch ROLE WORD HOST ARGS... runs `halo ARGS...` in the background,
# named WORD for ps and pgrep, logging in alluxio.logs.dir, with its pid in
# $ALLUXIO_PID_DIR/ROLE-HOST.pid. DEFINES holds the process's -D options.
launch() {
  local role=$1 word=$2 host=$3 logs pidfile pid
  shift 3
  logs=$(conf_value alluxio.logs.dir "${DEFINES[@]}")
  pidfile=$ALLUXIO_PID_DIR/$role-$host.pid
  if pid=$(pid_running "$pidfile" "$word"); then
    echo "A $role already runs for $host (pid $pid)"
    return 0
  fi
  mkdir -p "$logs" "$ALLUXIO_PID_DIR"
  (
    trap '' HUP
    exec -a "$word" "$HALO_BINARY" --conf "$ALLUXIO_CONF_DIR" "${DEFINES[@]}" -D "alluxio.logs.dir=$logs" "$@"
  ) >>"$logs/$role.out" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "Started $role for $host (pid $!), logging to $logs/$role.log"
}

# start_master runs `halo master` for HALO_HOST, this host's line in
# conf/masters, or for the site file's alluxio.master.hostname.
start_master() {
  local backup=()
  process_defines master
  if [ -n "$INIT_FROM_BACKUP" ]; then
    backup=(-i "$INIT_FROM_BACKUP")
  fi
  launch master AlluxioMaster "${HALO_HOST:-$(conf_value alluxio.master.hostname)}" master "${backup[@]}"
}

start_worker() {
  mount_ramdisk "$MOUNT_MODE"
  process_defines worker
  launch worker AlluxioWorker "${HALO_HOST:-$(hostname)}" worker
}

mount_ramdisk() {
  "$ALLUXIO_HOME/bin/alluxio-mount.sh" "$1" local
}

# start_on FILE ACTION starts ACTION on every host of conf/FILE, passing -i
# and the mount mode on.
start_on() {
  local flags=()
  [ -n "$INIT_FROM_BACKUP" ] && flags=(-i "$INIT_FROM_BACKUP")
  on_hosts "$1" "$ALLUXIO_HOME/bin/alluxio-start.sh" -N "${flags[@]}" "$2" "$MOUNT_MODE"
}

stop_first() {
  if [ "$KILL_FIRST" = 1 ]; then
    "$ALLUXIO_HOME/bin/alluxio-stop.sh" "$1"
  fi
}

format_first() {
  if [ "$FORMAT" = 1 ]; then
    "$ALLUXIO_HOME/bin/alluxio" "$@"
  fi
}

INIT_FROM_BACKUP=""
KILL_FIRST=1
FORMAT=0
MOUNT_MODE=NoMount
while getopts ":hNi:" opt; do
  case $opt in
  h) usage; exit 0 ;;
  N) KILL_FIRST=0 ;;
  i) INIT_FROM_BACKUP=$OPTARG ;;
  *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
ACTION=${1:-}
[ -n "$ACTION" ] || { usage >&2; exit 2; }
shift
for arg in "$@"; do
  case $arg in
  Mount | SudoMount | NoMount) MOUNT_MODE=$arg ;;
  -f) FORMAT=1 ;;
  *) echo "alluxio-start.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
  esac
done

case $ACTION in
all)
  stop_first all
  format_first format
  start_on masters master
  start_on workers worker
  ;;
local)
  stop_first local
  format_first format
  start_master
  start_worker
  ;;
master)
  stop_first master
  format_first formatJournal
  start_master
  ;;
masters)
  stop_first masters
  format_first formatMasters
  start_on masters master
  ;;
worker)
  stop_first worker
  format_first formatWorker
  start_worker
  ;;
workers)
  stop_first workers
  format_first formatWorkers
  start_on workers worker
  ;;
job_master | job_masters | job_worker | job_workers | proxy | proxies | logserver)
  echo "$ACTION: Halo runs no job service, proxy or log server; nothing to start"
  ;;
*)
  echo "alluxio-start.sh: unknown action $ACTION" >&2
  usage >&2
  exit 2
  ;;
esac
