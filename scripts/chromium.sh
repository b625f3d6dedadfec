#!/usr/bin/env bash
# Installs Debian's chromium, the headless browser the web UI's browser
# test (e2e/webui_browser_test.go) drives through its DevTools protocol.
#
#   scripts/chromium.sh install     # apt-get install chromium if missing (as root)
set -euo pipefail

die() { echo "chromium.sh: $*" >&2; exit 1; }

install() {
  command -v chromium >/dev/null && return 0
  [ "$(id -u)" = 0 ] || die "chromium is not installed and installing it needs root: apt-get install chromium"
  echo "chromium.sh: installing the Debian chromium package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null || die "apt-get install chromium failed"
  command -v chromium >/dev/null || die "the chromium package is installed but chromium is not on PATH"
}

case "${1:-}" in
  install) install ;;
  *) die "usage: scripts/chromium.sh install" ;;
esac
