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

compose() { docker-compose -f "$(cat "$STATE/compose-file")" -p "$HALO_NAME" "$@"; }

has_workers() {
  docker run --rm --entrypoint /opt/halo/bin/halo "${HALO_IMAGE:-halo:latest}" --help 2>/dev/null | grep -qE "^  worker +"
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
  local profile=()
  if has_workers; then profile=(--profile workers); fi
  compose "${profile[@]}" up -d
  wait_healthy
  local m=$HALO_NAME-master1 wait=3
  [ "$HA" = zookeeper ] && wait=8
  cat <<MSG
Halo is running in Docker (--ha=$HA): $HALO_NAME-master1..3, web UI on 127.0.0.1:${HALO_WEB_PORT1:-19991}..${HALO_WEB_PORT3:-19993}
Try:
  docker exec $m halo fs leader
  docker exec $m halo fs mkdir /demo && docker exec $m halo fs touch /demo/hello
  docker exec $m halo fsadmin report                        # masters, and the workers every master knows
  leader=\$(docker exec $m halo fs leader); docker kill \$leader
  other=\$(docker ps --filter name=$HALO_NAME-master --format '{{.Names}}' | grep -vx \$leader | head -n 1)
  sleep $wait; docker exec \$other halo fs leader; docker exec \$other halo fs ls -R /
  docker-compose -f $(cat "$STATE/compose-file") -p $HALO_NAME restart \${leader#$HALO_NAME-}   # it rejoins
  leader=\$(docker exec $m halo fs leader); docker network disconnect $HALO_NAME-net \$leader   # cut it off
  other=\$(docker ps --filter name=$HALO_NAME-master --format '{{.Names}}' | grep -vx \$leader | head -n 1)
  sleep $wait; docker exec \$other halo fs leader
  docker network connect $HALO_NAME-net \$leader                                            # and heal
Stop it with: make demo-docker-stop
MSG
}

stop_cluster() {
  compose --profile workers down -v --remove-orphans
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
