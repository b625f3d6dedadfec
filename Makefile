# The documented way in: make build | test | demo | demo-stop | bench | lint | fuzz
GO        ?= go
BIN       := bin/halo
HA        ?= raft
DEMO_DIR  ?= $(CURDIR)/.demo
# Packages whose tests start real processes run one package at a time so a
# 2-core machine is not oversubscribed.
TEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: build test unit e2e demo demo-stop bench lint fuzz clean

build:
	$(GO) build -o $(BIN) ./cmd/halo

test: build lint-fast
	$(GO) test $(TEST_FLAGS) -p 2 ./...
	$(GO) test -count=1 -race -timeout 10m ./fsm/ ./journal/ ./server/ ./client/

lint-fast:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint: lint-fast
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

demo: build
	DEMO_DIR=$(DEMO_DIR) HA=$(HA) scripts/demo.sh start

demo-stop:
	DEMO_DIR=$(DEMO_DIR) scripts/demo.sh stop

bench: build
	$(GO) test -run='^$$' -bench=. -benchtime=1x ./fsm/ ./journal/
	DEMO_DIR=$(DEMO_DIR) scripts/bench.sh

fuzz:
	scripts/fuzz.sh 20s

clean:
	rm -rf bin $(DEMO_DIR)
