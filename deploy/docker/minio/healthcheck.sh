#!/bin/bash
# Healthy when MinIO says it is ready to serve requests.
exec 3<>/dev/tcp/127.0.0.1/9000 || exit 1
printf 'GET /minio/health/ready HTTP/1.0\r\nHost: 127.0.0.1:9000\r\n\r\n' >&3
timeout 2 head -n 1 <&3 | grep -q ' 200 '
