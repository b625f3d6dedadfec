#!/usr/bin/env bash
# Mounts (or checks) the MEM tier's ramdisk, as Alluxio's alluxio-mount.sh:
# a tmpfs of alluxio.worker.ramdisk.size at
# alluxio.worker.tieredstore.level0.dirs.path (a folder of its own for
# each worker when several share this machine).
set -euo pipefail
# shellcheck source=../libexec/alluxio-config.sh
. "$(dirname "${BASH_SOURCE[0]}")/../libexec/alluxio-config.sh"

usage() {
  cat <<USAGE
Usage: alluxio-mount.sh MODE [local|workers]
MODE is one of:
  Mount       Mount a tmpfs there (needs root); an existing one is remounted.
  SudoMount   The same through sudo.
  NoMount     Mount nothing; fail unless the path is in a tmpfs or ramfs.
  Umount, SudoUmount
              Unmount it.
Where: local (this host, the default) or workers (every host in conf/workers).
USAGE
}

ramdisk_path() {
  local path
  path=$(conf_value alluxio.worker.tieredstore.level0.dirs.path "${DEFINES[@]}" || true)
  echo "${path:-/mnt/ramdisk}"
}

# ramdisk_size is alluxio.worker.ramdisk.size, else two thirds of the
# memory, as Alluxio's default.
ramdisk_size() {
  local size
  size=$(conf_value alluxio.worker.ramdisk.size "${DEFINES[@]}" || true)
  if [ -z "$size" ]; then
    size=$(awk '/^MemTotal:/ {printf "%dk", $2 * 2 / 3}' /proc/meminfo)
  fi
  echo "$size" | tr -d ' ' | sed 's/[bB]$//'
}

memory_tier() {
  local alias
  alias=$(conf_value alluxio.worker.tieredstore.level0.alias "${DEFINES[@]}" || true)
  [ "${alias:-MEM}" = MEM ]
}

mounted_type() {
  findmnt -n -o FSTYPE --mountpoint "$1" 2>/dev/null || true
}

# holding_type prints the type of the file system that holds PATH, or
# would hold it once made: a worker's own folder in a tmpfs mounted at
# the configured path is in memory too.
holding_type() {
  local path=$1
  while [ ! -e "$path" ]; do
    path=$(dirname "$path")
  done
  findmnt -n -o FSTYPE -T "$path" 2>/dev/null || true
}

# mount_local mounts for this host's worker (HALO_HOST when a fan-out
# runs it), whose tier folder may be one of its own (process_defines).
mount_local() {
  local mode=$1 path size sudo=""
  process_defines worker
  path=$(ramdisk_path)
  if ! memory_tier && [ "$mode" != NoMount ]; then
    echo "level 0 is not the MEM tier; nothing to mount"
    return 0
  fi
  case $mode in
  SudoMount | SudoUmount) sudo=sudo ;;
  esac
  case $mode in
  Mount | SudoMount)
    size=$(ramdisk_size)
    $sudo mkdir -p "$path"
    if [ -n "$(mounted_type "$path")" ]; then
      $sudo umount "$path"
    fi
    $sudo mount -t tmpfs -o "size=$size" tmpfs "$path"
    $sudo chmod a+w "$path"
    echo "Mounted a tmpfs of $size at $path"
    ;;
  NoMount)
    if ! memory_tier; then
      return 0
    fi
    case $(holding_type "$path") in
    tmpfs | ramfs) ;;
    *)
      echo "No tmpfs or ramfs at $path (alluxio.worker.tieredstore.level0.dirs.path): start with Mount or SudoMount, or mount one" >&2
      return 1
      ;;
    esac
    ;;
  Umount | SudoUmount)
    if [ -n "$(mounted_type "$path")" ]; then
      $sudo umount "$path"
      echo "Unmounted $path"
    fi
    ;;
  *)
    usage >&2
    return 2
    ;;
  esac
}

MODE=${1:-}
WHERE=${2:-local}
case $WHERE in
local) mount_local "$MODE" ;;
workers) on_hosts workers "$ALLUXIO_HOME/bin/alluxio-mount.sh" "$MODE" local ;;
*)
  usage >&2
  exit 2
  ;;
esac
