#!/usr/bin/env bash
# Starts (or stops) a local Halo cluster on loopback for trying things out.
#   scripts/demo.sh start   # HA=none: one master on 127.0.0.1 with the default ports
#   scripts/demo.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO_DIR=${DEMO_DIR:-$PWD/.demo}
HA=${HA:-raft}
AUTH=${AUTH:-SECRET}
BIN=$PWD/bin/halo
CONF=$DEMO_DIR/conf

stop() {
  if [ -e "$DEMO_DIR/zookeeper/servers" ]; then
    scripts/zookeeper.sh stop "$DEMO_DIR/zookeeper" || true
  fi
  if [ -d "$DEMO_DIR/pids" ]; then
    for f in "$DEMO_DIR"/pids/*.pid; do
      [ -e "$f" ] || continue
      pid=$(cat "$f")
      if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$f"
    done
  fi
  rm -rf "/dev/shm/halo-demo-$(id -u)"
}

wait_ready() { # host webport
  for _ in $(seq 1 300); do
    if curl -fsS "http://$1:$2/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "master on $1 did not become ready; see $DEMO_DIR/logs" >&2
  return 1
}

wait_leader() { # until one of the masters on 127.0.0.1-3 is ready
  for _ in $(seq 1 300); do
    for i in 1 2 3; do
      if curl -fsS "http://127.0.0.$i:19999/health/ready" >/dev/null 2>&1; then return 0; fi
    done
    sleep 0.1
  done
  echo "no leader elected; see $DEMO_DIR/logs" >&2
  return 1
}

wait_worker() { # host: until the worker is registered with a master
  for _ in $(seq 1 300); do
    if curl -fsS "http://$1:30000/health/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "worker on $1 did not register; see $DEMO_DIR/logs" >&2
  return 1
}

# A worker beside each master, with the default ports, caching blocks in a
# MEM tier of its own: a folder under /dev/shm (tmpfs) when there is one, so
# that the demo needs no root to mount a ramdisk.
start_workers() {
  local shm=$DEMO_DIR/workers
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=/dev/shm/halo-demo-$(id -u)
    rm -rf "$shm"
  fi
  : >"$CONF/workers"
  while read -r h; do
    echo "$h" >>"$CONF/workers"
    local opts=(--conf "$CONF" -D alluxio.worker.hostname="$h"
      -D alluxio.worker.tieredstore.level0.dirs.path="$shm/$h"
      -D alluxio.worker.ramdisk.size="${DEMO_WORKER_MEM:-512MB}"
      -D alluxio.work.dir="$DEMO_DIR/work/worker-$h")
    mkdir -p "$shm/$h"
    nohup "$BIN" "${opts[@]}" worker >"$DEMO_DIR/logs/worker-$h.log" 2>&1 &
    echo $! >"$DEMO_DIR/pids/worker-$h.pid"
  done <"$CONF/masters"
  while read -r h; do wait_worker "$h" || exit 1; done <"$CONF/masters"
}

start() {
  stop
  rm -rf "$DEMO_DIR"
  mkdir -p "$CONF" "$DEMO_DIR/pids" "$DEMO_DIR/logs"
  # Masters and the CLI share a secret (SECRET authentication), so that the
  # operator commands (backup, checkpoint, mount, quorum) work from the demo's
  # conf; under SIMPLE anyone could claim the superuser's name.
  (umask 077 && head -c 32 /dev/urandom | base64 >"$CONF/secret")
  # AUTH=SIMPLE instead serves Alluxio's own shell and Hadoop client, which
  # cannot prove a secret: SIMPLE, believing the user they name, as Alluxio.
  case "$AUTH" in
  SECRET) AUTH_PROPS="alluxio.security.authentication.type=SECRET
halo.security.authentication.secret.file=$CONF/secret" ;;
  SIMPLE) AUTH_PROPS="alluxio.security.authentication.type=SIMPLE
halo.security.authorization.trust.asserted.superuser=true" ;;
  *) echo "AUTH=$AUTH: use SECRET (the default) or SIMPLE" >&2; return 1 ;;
  esac
  case "$HA" in
  none)
    cat >"$CONF/alluxio-site.properties" <<PROPS
# Written by scripts/demo.sh: one master, journal in a local folder.
alluxio.master.hostname=127.0.0.1
alluxio.master.journal.type=UFS
alluxio.master.journal.folder=$DEMO_DIR/journal
alluxio.master.mount.table.root.ufs=$DEMO_DIR/underFSStorage
alluxio.work.dir=$DEMO_DIR
$AUTH_PROPS
PROPS
    echo 127.0.0.1 >"$CONF/masters"
    "$BIN" --conf "$CONF" format >/dev/null
    nohup "$BIN" --conf "$CONF" master >"$DEMO_DIR/logs/master-127.0.0.1.log" 2>&1 &
    echo $! >"$DEMO_DIR/pids/master-127.0.0.1.pid"
    wait_ready 127.0.0.1 19999
    ;;
  raft)
    cat >"$CONF/alluxio-site.properties" <<PROPS
# Written by scripts/demo.sh: three masters on 127.0.0.1-3 with the default
# ports, replicating the namespace through the embedded journal (Raft).
alluxio.master.embedded.journal.addresses=127.0.0.1:19200,127.0.0.2:19200,127.0.0.3:19200
alluxio.master.journal.type=EMBEDDED
alluxio.master.mount.table.root.ufs=$DEMO_DIR/underFSStorage
halo.master.checkpoint.archive.folder=$DEMO_DIR/checkpoints
alluxio.work.dir=$DEMO_DIR
$AUTH_PROPS
PROPS
    printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$CONF/masters"
    mkdir -p "$DEMO_DIR/checkpoints"
    for i in 1 2 3; do
      h=127.0.0.$i
      opts=(--conf "$CONF" -D alluxio.master.hostname=$h -D alluxio.master.journal.folder=$DEMO_DIR/journal/$h)
      "$BIN" "${opts[@]}" format >/dev/null
      nohup "$BIN" "${opts[@]}" master >"$DEMO_DIR/logs/master-$h.log" 2>&1 &
      echo $! >"$DEMO_DIR/pids/master-$h.pid"
    done
    wait_leader || exit 1
    ;;
  zookeeper)
    # A real ZooKeeper (scripts/zookeeper.sh installs the Debian package if
    # needed) on 127.0.0.1:2181, and three masters sharing one journal
    # folder, as the Alluxio guide's ZooKeeper + UFS journal setup. The
    # session timeout is 5 s rather than Alluxio's 60 s so that a killed
    # leader is replaced in seconds.
    scripts/zookeeper.sh start "$DEMO_DIR/zookeeper" 1 >/dev/null
    cat >"$CONF/alluxio-site.properties" <<PROPS
# Written by scripts/demo.sh: three masters on 127.0.0.1-3 with the default
# ports, elected by ZooKeeper, sharing the journal in one UFS folder.
alluxio.zookeeper.enabled=true
alluxio.zookeeper.address=127.0.0.1:2181
alluxio.zookeeper.session.timeout=5s
alluxio.master.journal.type=UFS
alluxio.master.journal.folder=$DEMO_DIR/journal
alluxio.master.mount.table.root.ufs=$DEMO_DIR/underFSStorage
alluxio.work.dir=$DEMO_DIR
$AUTH_PROPS
PROPS
    printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$CONF/masters"
    # One format initialises the shared folder for every master.
    "$BIN" --conf "$CONF" format >/dev/null
    mkdir -p "$DEMO_DIR/underFSStorage"
    for i in 1 2 3; do
      h=127.0.0.$i
      nohup "$BIN" --conf "$CONF" -D alluxio.master.hostname=$h master >"$DEMO_DIR/logs/master-$h.log" 2>&1 &
      echo $! >"$DEMO_DIR/pids/master-$h.pid"
    done
    wait_leader || exit 1
    ;;
  *)
    echo "HA=$HA is not available in the demo (use none, raft or zookeeper)" >&2
    exit 2
    ;;
  esac
  start_workers
  ports="" failover_wait=2
  case "$HA" in
  raft) ports=", Raft 19200" ;;
  zookeeper) ports=", ZooKeeper 127.0.0.1:2181" failover_wait=7 ;;
  esac
  cat <<MSG
Halo is running (--ha=$HA): masters $(cat "$CONF/masters" | tr '\n' ' ')(RPC 19998, web 19999$ports)
and a worker beside each (RPC 29999, web 30000)
Configuration: $CONF
Try:
  export ALLUXIO_CONF_DIR=$CONF
  bin/halo fs leader
  bin/halo fs mkdir /demo && bin/halo fs touch /demo/hello && bin/halo fs ls -R /
  head -c 100000000 /dev/urandom >/tmp/halo-demo.bin && bin/halo fs copyFromLocal /tmp/halo-demo.bin /demo/data.bin
  bin/halo fs cat /demo/data.bin | cmp - /tmp/halo-demo.bin && bin/halo fs ls /demo
  bin/halo fsadmin report capacity
  bin/halo runTests
  bin/halo fsadmin webLogin     # SECRET mode: links that open each master's web UI (:19999) with Browse
  kill -9 \$(cat $DEMO_DIR/pids/master-\$(bin/halo fs leader).pid); sleep $failover_wait; bin/halo fs leader
  bin/halo bench master --operation CreateFile --threads 16 --duration 10s
Stop it with: make demo-stop
MSG
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
