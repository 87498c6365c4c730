# The two commands of README.md: `make demo` runs the product, `make test`
# runs the tests (against real PostgreSQL servers the tests start themselves).
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X main.Version=$(VERSION)

.PHONY: all build demo test vet bench conformance arm64 package clean

all: build

# bin/syncd includes `syncd demo` (the Sheets emulator and a throwaway
# cluster: -tags demo); the release build (arm64) leaves them out.
build:
	$(GO) build -tags demo -ldflags '$(LDFLAGS)' -o bin/syncd ./cmd/syncd
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/sheets-emulator ./cmd/sheets-emulator

demo: build
	./bin/syncd demo

test: vet
	./scripts/ensure-postgres && ./scripts/ensure-tools
	$(GO) test -race -count=1 -tags demo ./...
	$(GO) test -count=1 -run '^TestDemoNotInThisBuild$$' ./cmd/syncd
	GO=$(GO) ./scripts/fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags demo ./...
	$(GO) vet ./...

# The benchmark suite of CONTRACT.md §8 (≈ 20 min with the sheet-edits scenario): real Postgres,
# the Sheets emulator at 100 ms and 60 calls/min, syncd against a naive
# mirror; writes docs/BENCHMARKS.md. The bench build tag keeps it out of
# `make test`. SYNCD_BENCH_QUICK=1 SYNCD_BENCH_OUT=/tmp/b.md is a smoke run.
bench:
	./scripts/ensure-postgres
	$(GO) test -tags bench -run '^TestWriteBenchmarksMD$$' -count=1 -timeout 40m -v ./bench

# syncd's end-to-end scenarios against a real spreadsheet through the
# recording proxy (docs/CONFORMANCE-RUN.md). Without SYNCD_GOOGLE_CREDENTIALS
# and SYNCD_GOOGLE_SPREADSHEET it says what to set and exits 0.
conformance:
	GO=$(GO) ./scripts/conformance

arm64:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/syncd-linux-arm64 ./cmd/syncd

clean:
	rm -rf bin dist

# The .deb files of docs/DEPLOYMENT.md for the Pi (arm64) and PCs (amd64)
# in dist/, checked by lintian; scripts/package says how. nfpm is the Go
# packager, pinned here and run through the Go module proxy.
NFPM_VERSION := v2.48.0
package:
	./scripts/ensure-tools
	NFPM='$(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)' GO=$(GO) ./scripts/package
