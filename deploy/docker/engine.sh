#!/usr/bin/env bash
# Makes sure a Docker engine answers, installing Debian's docker.io and
# docker-compose when they are missing, and stops it again only if this
# script started it.
#
#   deploy/docker/engine.sh start   # installs if needed, starts dockerd if none answers
#   deploy/docker/engine.sh stop    # stops the dockerd that `start` started, nothing else
#
# The pid of a dockerd started here is kept in $HALO_DOCKER_STATE (default
# /run/halo-docker): an engine that was already running, or that systemd
# runs, is never stopped by `stop`. Docker's own iptables chains stay, as
# they do after any dockerd stops; IP forwarding and the FORWARD policy are
# put back.
set -euo pipefail
STATE=${HALO_DOCKER_STATE:-/run/halo-docker}
PIDFILE=$STATE/dockerd.pid

answers() { docker info >/dev/null 2>&1; }

install() {
  if command -v dockerd >/dev/null && command -v docker >/dev/null && command -v docker-compose >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: docker.io and docker-compose are missing; install them as root (apt-get install docker.io docker-compose)" >&2
    exit 1
  fi
  echo "engine.sh: installing docker.io and docker-compose from Debian..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >&2
}

start() {
  install
  if answers; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    echo "engine.sh: no Docker engine answers and only root can start dockerd here" >&2
    exit 1
  fi
  mkdir -p "$STATE"
  # dockerd turns on IP forwarding with the FORWARD policy at DROP and
  # leaves both when it stops; stop puts back what this machine had. A
  # record left by a dockerd that died unstopped is older, so it is kept.
  if [ ! -s "$STATE/forward-policy" ]; then
    iptables -w -S FORWARD 2>/dev/null | sed -n 's/^-P FORWARD //p' >"$STATE/forward-policy" || true
  fi
  if [ ! -s "$STATE/ip-forward" ]; then
    cat /proc/sys/net/ipv4/ip_forward >"$STATE/ip-forward" 2>/dev/null || true
  fi
  nohup dockerd >"$STATE/dockerd.log" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 600); do
    if answers; then return 0; fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "engine.sh: dockerd did not start; see $STATE/dockerd.log" >&2
  tail -n 20 "$STATE/dockerd.log" >&2
  exit 1
}

stop() {
  [ -e "$PIDFILE" ] || return 0
  pid=$(cat "$PIDFILE")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PIDFILE"
  if [ -s "$STATE/forward-policy" ]; then
    iptables -w -P FORWARD "$(cat "$STATE/forward-policy")"
    rm -f "$STATE/forward-policy"
  fi
  if [ -s "$STATE/ip-forward" ]; then
    cat "$STATE/ip-forward" >/proc/sys/net/ipv4/ip_forward
    rm -f "$STATE/ip-forward"
  fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
