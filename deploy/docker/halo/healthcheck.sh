#!/bin/bash
# halo-healthcheck [PORT [PATH]]: the container's health, from its own web
# port (default 19999, /health/ready). A master is healthy when it serves
# (200) or when, as a standby, it names the leader it follows: a standby is
# how a healthy cluster keeps two of its three masters, not a failure.
# Bash's /dev/tcp does the HTTP, so the image needs no curl.
port=${1:-19999}
path=${2:-/health/ready}
exec 3<>"/dev/tcp/$(hostname)/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$path" "$(hostname)" >&3
response=$(timeout 2 cat <&3) || exit 1
case "${response%%$'\r'*}" in
*" 200 "*) exit 0 ;;
esac
grep -q '"leader":"[^"]' <<<"$response"
