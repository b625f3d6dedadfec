#!/bin/bash
# Healthy when this server serves: in an ensemble, only once it is the
# leader or a follower of a quorum ("Mode:" in the srvr answer).
exec 3<>/dev/tcp/127.0.0.1/2181 || exit 1
printf srvr >&3
timeout 2 cat <&3 | grep -q '^Mode: '
