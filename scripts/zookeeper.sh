#!/usr/bin/env bash
# Runs a real ZooKeeper (the Debian package, 3.8) on loopback for demos: one
# server on 127.0.0.1, or a three-server ensemble on 127.0.0.1, 127.0.0.2 and
# 127.0.0.3 (the whole 127.0.0.0/8 range is loopback on Linux, so the three
# servers share port numbers and differ by address). Tests start their
# ensembles with internal/testinfra/zookeeper, which calls `install`.
#
#   scripts/zookeeper.sh install                    # apt-get install zookeeper if missing (as root)
#   scripts/zookeeper.sh start DIR [N] [CLIENT_PORT [PEER_PORT ELECTION_PORT]]
#                                                   # N = 1 or 3 servers (default 1), ports 2181 2888 3888
#   scripts/zookeeper.sh stop DIR                   # stop every server
#
# DIR holds one folder per server (zk1/, zk2/, …: zoo.cfg, myid, data,
# server.log, pid). `start` prints the connect string on stdout.
# ZK_LOG_LEVEL (default warn) and ZK_WAIT_SECONDS (default 60) tune the logs
# and how long a server may take to serve.
set -euo pipefail

JARS=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain
# How long a server may take to answer (JVM start and, for an ensemble,
# leader election). Seconds.
WAIT_SECONDS=${ZK_WAIT_SECONDS:-60}

die() { echo "zookeeper.sh: $*" >&2; exit 1; }

installed() { [ -r /usr/share/java/zookeeper.jar ] && command -v java >/dev/null; }

install() {
  installed && return 0
  [ "$(id -u)" = 0 ] || die "ZooKeeper is not installed and installing it needs root: apt-get install zookeeper"
  echo "zookeeper.sh: installing the Debian zookeeper package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq zookeeper >/dev/null || die "apt-get install zookeeper failed"
  installed || die "the zookeeper package is installed but /usr/share/java/zookeeper.jar or java is missing"
}

host_of() { echo "127.0.0.$1"; }

# four_letter HOST PORT WORD: send a four-letter command, print the answer.
four_letter() {
  local reply
  reply=$(timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2 && printf '%s' '$3' >&3 && cat <&3" 2>/dev/null) || true
  printf '%s' "$reply"
}

# serving ID: the server answers ruok and srvr shows a mode, which it does
# only once it is part of a quorum (or standalone).
serving() {
  local dir=$1 id=$2 port
  port=$(cat "$dir/client_port")
  [ "$(four_letter "$(host_of "$id")" "$port" ruok)" = imok ] || return 1
  four_letter "$(host_of "$id")" "$port" srvr | grep -q '^Mode: '
}

wait_serving() {
  local dir=$1; shift
  local id deadline=$((SECONDS + WAIT_SECONDS))
  for id in "$@"; do
    until serving "$dir" "$id"; do
      if [ $SECONDS -ge $deadline ]; then
        echo "zookeeper.sh: server $id ($(host_of "$id"):$(cat "$dir/client_port")) is not serving after ${WAIT_SECONDS}s; its log:" >&2
        tail -n 30 "$dir/zk$id/server.log" >&2 || true
        return 1
      fi
      if ! running "$dir" "$id"; then
        echo "zookeeper.sh: server $id exited; its log:" >&2
        tail -n 30 "$dir/zk$id/server.log" >&2 || true
        return 1
      fi
      sleep 0.2
    done
  done
}

running() {
  local pidfile=$1/zk$2/pid
  [ -e "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

write_config() { # DIR N CLIENT PEER ELECTION
  local dir=$1 n=$2 client=$3 peer=$4 election=$5 id
  echo "$n" >"$dir/servers"
  echo "$client" >"$dir/client_port"
  for id in $(seq 1 "$n"); do
    local sdir=$dir/zk$id
    mkdir -p "$sdir/data"
    echo "$id" >"$sdir/data/myid"
    # tickTime 500 ms lets clients ask for session timeouts from 1 s
    # (2 ticks) up to maxSessionTimeout; tests use 3 s.
    cat >"$sdir/zoo.cfg" <<CFG
tickTime=500
initLimit=40
syncLimit=10
dataDir=$sdir/data
clientPortAddress=$(host_of "$id")
clientPort=$client
minSessionTimeout=1000
maxSessionTimeout=180000
4lw.commands.whitelist=ruok,srvr,stat,mntr,cons
admin.enableServer=false
standaloneEnabled=$([ "$n" = 1 ] && echo true || echo false)
maxClientCnxns=0
CFG
    if [ "$n" -gt 1 ]; then
      for j in $(seq 1 "$n"); do
        echo "server.$j=$(host_of "$j"):$peer:$election" >>"$sdir/zoo.cfg"
      done
    fi
  done
}

start_server() { # DIR ID
  local dir=$1 id=$2 sdir=$1/zk$2
  [ -e "$sdir/zoo.cfg" ] || die "no server $id in $dir; run start first"
  if running "$dir" "$id"; then return 0; fi
  # The JVM is kept small: tests run three servers beside three masters.
  nohup java -Xms32m -Xmx256m -XX:+UseSerialGC -Dzookeeper.jmx.log4j.disable=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.defaultLogLevel=${ZK_LOG_LEVEL:-warn} \
    -cp "$JARS" "$MAIN" "$sdir/zoo.cfg" >>"$sdir/server.log" 2>&1 </dev/null &
  echo $! >"$sdir/pid"
}

signal_server() { # DIR ID SIGNAL
  local dir=$1 id=$2 sig=$3 pid
  running "$dir" "$id" || return 0
  pid=$(cat "$dir/zk$id/pid")
  kill -"$sig" "$pid" 2>/dev/null || true
  if [ "$sig" = TERM ]; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/zk$id/pid"
}

address() {
  local dir=$1 n port id out=""
  n=$(cat "$dir/servers") port=$(cat "$dir/client_port")
  for id in $(seq 1 "$n"); do out+="${out:+,}$(host_of "$id"):$port"; done
  echo "$out"
}

ids_of() { seq 1 "$(cat "$1/servers")"; }

cmd=${1:-}
case "$cmd" in
install)
  install
  ;;
start)
  dir=${2:?usage: start DIR [N] [CLIENT_PORT [PEER_PORT ELECTION_PORT]]}
  n=${3:-1}
  [ "$n" = 1 ] || [ "$n" = 3 ] || die "N must be 1 or 3, not $n"
  install
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  write_config "$dir" "$n" "${4:-2181}" "${5:-2888}" "${6:-3888}"
  for id in $(ids_of "$dir"); do start_server "$dir" "$id"; done
  # shellcheck disable=SC2046
  wait_serving "$dir" $(ids_of "$dir") || { for id in $(ids_of "$dir"); do signal_server "$dir" "$id" KILL; done; exit 1; }
  address "$dir"
  ;;
stop)
  dir=${2:?usage: stop DIR}
  [ -e "$dir/servers" ] || exit 0
  for id in $(ids_of "$dir"); do signal_server "$dir" "$id" TERM; done
  ;;
*)
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
