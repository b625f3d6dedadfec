# Sourced by every script in bin/: where the release, its configuration and
# its binary are, and what the scripts share. Not meant to be run.

ALLUXIO_HOME=${ALLUXIO_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
ALLUXIO_CONF_DIR=${ALLUXIO_CONF_DIR:-$ALLUXIO_HOME/conf}
# One pid file a process, master-<host>.pid or worker-<host>.pid: several
# masters may run on one machine (hosts 127.0.0.1-3 in a trial).
ALLUXIO_PID_DIR=${ALLUXIO_PID_DIR:-$ALLUXIO_HOME/pids}
# How long alluxio-stop.sh waits after SIGTERM (a Raft leader first hands
# leadership over) before SIGKILL.
ALLUXIO_STOP_TIMEOUT=${ALLUXIO_STOP_TIMEOUT:-60}
ALLUXIO_SSH_OPTS=${ALLUXIO_SSH_OPTS:--o ConnectTimeout=5 -o StrictHostKeyChecking=no -o BatchMode=yes}
HALO_BINARY=$ALLUXIO_HOME/bin/halo
export ALLUXIO_HOME ALLUXIO_CONF_DIR ALLUXIO_PID_DIR

# halo runs bin/halo with this release's configuration.
halo() {
  "$HALO_BINARY" --conf "$ALLUXIO_CONF_DIR" "$@"
}

# conf_value KEY [-D key=value ...] prints a property as the processes
# resolve it.
conf_value() {
  local key=$1
  shift
  halo "$@" getConf "$key" 2>/dev/null
}

# set_by_operator KEY succeeds when the site file sets KEY.
set_by_operator() {
  local listing
  # Read whole first: grep -q would end a pipe early, and pipefail would
  # count halo's SIGPIPE as a failure.
  listing=$(halo getConf --source 2>/dev/null) || return 1
  grep -q "^$1=.* (SITE_PROPERTY)\$" <<<"$listing"
}

# named_after_host KEY sets DEFINES, the -D options of a process's
# commands: a process that a fan-out runs (HALO_HOST) takes its line in
# conf/masters or conf/workers as KEY (alluxio.master.hostname,
# alluxio.worker.hostname) unless the site file sets KEY, since several
# can share one machine (127.0.0.1-3).
named_after_host() {
  DEFINES=()
  if [ -n "${HALO_HOST:-}" ] && ! set_by_operator "$1"; then
    DEFINES=(-D "$1=$HALO_HOST")
  fi
}

# hosts_in FILE lists conf/masters or conf/workers: one host a line, "#"
# starts a comment.
hosts_in() {
  local file=$ALLUXIO_CONF_DIR/$1
  [ -f "$file" ] || return 0
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$file"
}

# is_local HOST succeeds when HOST is this machine: a loopback address, its
# own name, or one of its interfaces' addresses. Such hosts are started
# without ssh.
is_local() {
  local host=$1 address
  case "$host" in
  localhost | "$(hostname)" | "$(hostname -f 2>/dev/null)") return 0 ;;
  esac
  for address in $(getent ahosts "$host" 2>/dev/null | awk '{print $1}' | sort -u) "$host"; do
    case "$address" in
    127.* | ::1) return 0 ;;
    esac
    if ip -o addr show 2>/dev/null | awk '{sub(/\/.*/, "", $4); print $4}' | grep -qxF "$address"; then
      return 0
    fi
  done
  return 1
}

# on_hosts FILE COMMAND... runs COMMAND on every host of conf/FILE, all at
# once: on this machine's own addresses directly, elsewhere over ssh in the
# same release folder. HALO_HOST names the host to the command. Output
# lines are prefixed with the host; fails when any host failed.
on_hosts() {
  local file=$1 host pids=() failed=0 pid
  shift
  for host in $(hosts_in "$file"); do
    if is_local "$host"; then
      (HALO_HOST=$host "$@" 2>&1 | sed "s/^/[$host] /") &
    else
      # shellcheck disable=SC2086
      (ssh $ALLUXIO_SSH_OPTS "$host" "HALO_HOST=$host $(printf '%q ' "$@")" 2>&1 | sed "s/^/[$host] /") &
    fi
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  return $failed
}

# pid_running PIDFILE WORD prints the pid and succeeds when the pid file
# names a live process whose command line holds WORD (AlluxioMaster,
# AlluxioWorker), so a pid the kernel has since reused is left alone.
pid_running() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2" || return 1
  echo "$pid"
}
