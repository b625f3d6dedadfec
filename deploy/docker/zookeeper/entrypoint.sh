#!/bin/bash
# Writes zoo.cfg from ZOO_MY_ID (this server's id) and ZOO_SERVERS (the
# ensemble, "server.1=zk1:2888:3888 server.2=..."; empty for a standalone
# server), the variables the official image takes, and runs the server in
# the foreground.
set -euo pipefail
data=/var/lib/zookeeper/data
cfg=/etc/zookeeper/halo-zoo.cfg
mkdir -p "$data"
echo "${ZOO_MY_ID:-1}" >"$data/myid"
# tickTime 500 ms lets masters ask for session timeouts from 1 s, so a
# demo's failover takes seconds.
cat >"$cfg" <<CFG
tickTime=500
initLimit=40
syncLimit=10
dataDir=$data
clientPort=2181
minSessionTimeout=1000
maxSessionTimeout=180000
4lw.commands.whitelist=ruok,srvr,stat,mntr,cons
admin.enableServer=false
quorumListenOnAllIPs=true
standaloneEnabled=$([ -z "${ZOO_SERVERS:-}" ] && echo true || echo false)
maxClientCnxns=0
CFG
for server in ${ZOO_SERVERS:-}; do echo "$server" >>"$cfg"; done
exec java -Xms32m -Xmx256m -XX:+UseSerialGC -Dzookeeper.jmx.log4j.disable=true \
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.defaultLogLevel="${ZK_LOG_LEVEL:-info}" \
  -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$cfg"
