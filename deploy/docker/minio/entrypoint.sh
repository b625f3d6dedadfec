#!/bin/bash
# Serves /data, with the buckets named in MINIO_BUCKETS made first: MinIO
# takes a top-level folder of its drive for a bucket, so no client is needed.
set -euo pipefail
for bucket in ${MINIO_BUCKETS:-}; do mkdir -p "/data/$bucket"; done
exec minio server --address :9000 --console-address :9001 /data
