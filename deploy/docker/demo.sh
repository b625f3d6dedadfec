#!/usr/bin/env bash
# Brings a Halo cluster up in containers, waits until it is healthy and
# prints what to try; or removes it again.
#
#   deploy/docker/demo.sh start   # HA=raft (default) or HA=zookeeper
#   deploy/docker/demo.sh stop    # containers, network and volumes; dockerd if start started it
#
# The images are built first (images.sh). Workers join when the image's
# halo has the worker command. HALO_NAME (default halo) prefixes every
# container, the network and the compose project.
set -euo pipefail
cd "$(dirname "$0")/../.."
HA=${HA:-raft}
export HALO_NAME=${HALO_NAME:-halo}
STATE=${DEMO_DOCKER_DIR:-$PWD/.demo-docker}
WAIT_SECONDS=${HALO_DOCKER_WAIT_SECONDS:-180}

compose() { docker-compose -f "$(cat "$STATE/compose-file")" -p "$HALO_NAME" --profile workers "$@"; }

has_workers() {
  docker run --rm --entrypoint /opt/halo/bin/halo "${HALO_IMAGE:-halo:latest}" worker --help >/dev/null 2>&1
}

healthy_masters() {
  docker ps --filter "name=^${HALO_NAME}-master[0-9]+$" --filter health=healthy -q | wc -l
}

wait_healthy() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until [ "$(healthy_masters)" = 3 ] && docker exec "$HALO_NAME-master1" halo fs leader >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo.sh: the masters were not healthy within ${WAIT_SECONDS}s; see docker-compose logs" >&2
      compose ps >&2
      return 1
    fi
    sleep 1
  done
}

start() {
  case "$HA" in
  raft | zookeeper) ;;
  *) echo "demo.sh: HA=$HA: use raft or zookeeper" >&2; exit 2 ;;
  esac
  deploy/docker/engine.sh start
  deploy/docker/images.sh
  if [ -e "$STATE/compose-file" ]; then stop_cluster; fi
  mkdir -p "$STATE"
  echo "$PWD/deploy/docker/docker-compose.$HA.yml" >"$STATE/compose-file"
  local services=()
  if ! has_workers; then
    # Without the worker command, only the services outside the profile.
    services=($(docker-compose -f "$(cat "$STATE/compose-file")" config --services))
  fi
  compose up -d "${services[@]}"
  wait_healthy
  local m=$HALO_NAME-master1 wait=3
  [ "$HA" = zookeeper ] && wait=8
  cat <<MSG
Halo is running in Docker (--ha=$HA): $HALO_NAME-master1..3, web UI on 127.0.0.1:${HALO_WEB_PORT1:-19991}..${HALO_WEB_PORT3:-19993}
Try:
  docker exec $m halo fs leader
  docker exec $m halo fs mkdir /demo && docker exec $m halo fs touch /demo/hello
  docker kill \$(docker exec $m halo fs leader)
  sleep $wait; docker exec $HALO_NAME-master2 halo fs leader; docker exec $HALO_NAME-master2 halo fs ls -R /
  docker-compose -f $(cat "$STATE/compose-file") -p $HALO_NAME start      # the killed master rejoins
  docker network disconnect $HALO_NAME-net \$(docker exec $m halo fs leader)   # cut the leader off
  docker network connect $HALO_NAME-net <that master>                        # and heal
Stop it with: make demo-docker-stop
MSG
}

stop_cluster() {
  compose down -v --remove-orphans
  rm -f "$STATE/compose-file"
}

stop() {
  if [ -e "$STATE/compose-file" ] && docker info >/dev/null 2>&1; then stop_cluster; fi
  deploy/docker/engine.sh stop
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
