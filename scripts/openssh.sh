#!/usr/bin/env bash
# Installs what the start scripts' multi-host test needs and a fresh machine
# may lack: Debian's openssh-server (sshd, which the test starts inside its
# network-namespace hosts), the ssh client and rsync (bin/alluxio copyDir).
# Needs root, as that test does. Does nothing when they are there.
#
#   scripts/openssh.sh install
set -euo pipefail
[ "${1:-}" = install ] || { echo "usage: scripts/openssh.sh install" >&2; exit 2; }
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ssh-keygen >/dev/null 2>&1 || missing+=(openssh-client)
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "the multi-host start test needs ${missing[*]}: install them (as root: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "openssh.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# The server must not start on the machine's own port 22: the test runs its
# own sshd in each namespace.
RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
