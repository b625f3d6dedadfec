# The documented way in: make build | dist | test | demo | demo-stop | bench | lint | fuzz | jepsen
GO        ?= go
BIN       := bin/halo
HA        ?= raft
AUTH      ?= SECRET
DEMO_DIR  ?= $(CURDIR)/.demo
# Packages whose tests start real processes run one package at a time so a
# 2-core machine is not oversubscribed.
TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: proto build dist test test-deps alluxio-deps unit e2e demo demo-stop bench lint fuzz clean jepsen jepsen-deps docker-images demo-docker demo-docker-stop bench-peers bench-data

build:
	$(GO) build -o $(BIN) ./cmd/halo

# The release tarball, dist/halo-<version>-linux-amd64.tar.gz, and its
# extracted tree beside it, laid out as Alluxio's (scripts/dist.sh).
dist:
	GO=$(GO) scripts/dist.sh dist

test: build lint-fast jepsen-deps test-deps
	$(GO) test $(TEST_FLAGS) -p 2 $$($(GO) list ./... | grep -v '/jepsen$$')
	$(GO) test -count=1 -race -timeout 10m ./fsm/ ./journal/ ./master/... ./client/
	HALO_BINARY=$(CURDIR)/$(BIN) $(GO) test -count=1 -timeout 25m -run '^(TestRobustness|TestCheckerCatchesStaleReads|TestJournalFencesLeaderThatIgnoresSessionLoss|TestRegression.*)$$' ./jepsen/

# What the tests need, installed and built before any test runs, so that no
# test's timing includes a cold MinIO build (about 6 minutes on 2 cores):
# ZooKeeper from Debian, MinIO into ~/.cache/halo, the MiniDFSCluster
# launcher with Maven, the real Alluxio 2.9.3 programs with Maven,
# Debian's chromium for the web UI's browser test, OpenSSH and rsync for
# the start scripts' multi-host test, and the Docker engine and images of
# deploy/docker (2 to 4.5 minutes cold, seconds warm).
test-deps: alluxio-deps
	scripts/zookeeper.sh install
	scripts/chromium.sh install
	scripts/openssh.sh install
	scripts/minio.sh build >/dev/null
	scripts/hdfs.sh build >/dev/null
	deploy/docker/images.sh

# The real Alluxio 2.9.3 shell, admin shell, master and Hadoop client that
# the compatibility tests run (internal/testinfra/alluxio), from Maven
# Central into ~/.m2 once.
alluxio-deps:
	scripts/alluxio.sh build >/dev/null

# The failover tests (jepsen/) need root, network namespaces, iptables, tc
# and (ZooKeeper mode) the zookeeper package;
# they run alone, after the rest, so that no other test's masters compete
# with theirs for the CPU.
jepsen-deps:
	@jepsen/scripts/install-deps.sh
	@scripts/zookeeper.sh install

# Every fault against 3 and 5 masters in Raft and in ZooKeeper mode, each
# run >= 60 s and 10,000 operations; prints the summary table (also in
# $(JEPSEN_TABLE)). Shape it with HALO_JEPSEN_* variables (see
# jepsen/robustness_test.go), e.g.
#   make jepsen HALO_JEPSEN_MODES=zookeeper HALO_JEPSEN_FAULTS=kill-leader,partition-ring HALO_JEPSEN_MASTERS=5
JEPSEN_TABLE ?= $(CURDIR)/jepsen/report/matrix.md
jepsen: build jepsen-deps
	HALO_BINARY=$(CURDIR)/$(BIN) HALO_JEPSEN_MATRIX=1 HALO_JEPSEN_TABLE=$(JEPSEN_TABLE) \
		$(GO) test -count=1 -timeout 240m -v -run '^TestRobustnessMatrix$$' ./jepsen/; \
		status=$$?; echo; cat $(JEPSEN_TABLE); exit $$status

lint-fast:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint: lint-fast
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

demo: build
	DEMO_DIR=$(DEMO_DIR) HA=$(HA) AUTH=$(AUTH) scripts/demo.sh start

demo-stop:
	DEMO_DIR=$(DEMO_DIR) scripts/demo.sh stop

# Halo in containers (deploy/docker): images built here without a registry,
# then a Raft (HA=raft) or ZooKeeper + MinIO (HA=zookeeper) cluster.
docker-images:
	deploy/docker/images.sh

demo-docker:
	HA=$(HA) deploy/docker/demo.sh start

demo-docker-stop:
	deploy/docker/demo.sh stop

bench: build
	$(GO) test -run='^$$' -bench=. -benchtime=1x ./fsm/ ./journal/
	DEMO_DIR=$(DEMO_DIR) scripts/bench.sh

# Data throughput (docs/BENCHMARKS.md): 1 and 16 clients writing and reading
# 1 GB between them through the demo's workers, short-circuit and through
# the worker's stream, warm and cold, beside the raw tmpfs rate. Not part of
# make test.
bench-data: build
	DEMO_DIR=$(DEMO_DIR) scripts/bench.sh data

# Halo beside ZooKeeper, etcd and a real Alluxio 2.9.3 cluster, one after
# the other in one run, in one table (bench/peers; not part of make test).
# PEERS_FLAGS go to the benchmark, e.g. PEERS_FLAGS="-duration 3s -threads 1,16".
PEERS_FLAGS ?=
bench-peers:
	GO=$(GO) scripts/peers.sh run $(PEERS_FLAGS)

# The namespace at scale (docs/BENCHMARKS.md): ten million inodes built
# by apply, checkpointed and restored; a Raft snapshot of them installed
# into a new member; a master started from a backup of them; a directory
# of a million files listed through ListStatusPartial. One at a time:
# each holds several GiB.
.PHONY: bench-scale
bench-scale:
	HALO_BENCH_SCALE=1 $(GO) test -run='^$$' -bench=Scale10M -benchtime=1x -timeout=60m ./fsm/
	HALO_BENCH_SCALE=1 $(GO) test -run='^$$' -bench=RaftSnapshot10M -benchtime=1x -timeout=60m ./ha/raft/
	HALO_BENCH_SCALE=1 $(GO) test -run='^$$' -bench='MasterRestore10M|ListStatusPartialMillionChildren' -benchtime=1x -timeout=60m ./master/alluxiorpc/

fuzz:
	scripts/fuzz.sh 20s

# Regenerates proto/journalpb, proto/halopb and proto/alluxiopb (pinned generators).
proto:
	scripts/proto.sh

clean:
	rm -rf bin dist $(DEMO_DIR)
