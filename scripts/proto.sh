#!/usr/bin/env bash
# Regenerates proto/halopb from proto/*.proto with the pinned generators:
# protoc 3.21.12 (Debian's protobuf-compiler), protoc-gen-go v1.36.12,
# protoc-gen-go-grpc v1.6.2. The generated code is committed, so only someone
# who changes a .proto needs this.
set -euo pipefail
cd "$(dirname "$0")/../proto"
if ! command -v protoc >/dev/null; then
	apt-get install -y -qq protobuf-compiler >/dev/null
fi
bin="${HOME}/.cache/halo/protoc-bin"
mkdir -p "$bin"
[ -x "$bin/protoc-gen-go" ] || GOBIN="$bin" go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
[ -x "$bin/protoc-gen-go-grpc" ] || GOBIN="$bin" go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PATH="$bin:$PATH" protoc --go_out=halopb --go_opt=paths=source_relative \
	--go-grpc_out=halopb --go-grpc_opt=paths=source_relative journal.proto master.proto
