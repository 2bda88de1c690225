# xrt: a low-level OCI container runtime (runc-compatible command line).
#
#   make              build a static ./xrt
#   make test         unit + integration tests (integration needs root)
#   make unit         go vet + go test
#   make integration  bats tests against ./xrt (XRT=/usr/sbin/runc to validate
#                     the tests against runc)
#   make runc-suite   runc's own integration suite (v1.5.1) against ./xrt
#   make test-v2      the cgroup v2 tests in a throw-away pure-v2 guest under
#                     qemu (../shared/v2vm; see tests/v2/run.sh), as root
#   make bench        xrt vs runc (and crun where it runs) start-up benchmark,
#                     interleaved; writes tests/bench/last.json and README's table
#   make bench-v2     the same in the pure cgroup v2 guest (../shared/v2vm),
#                     where crun runs; emulated, so ratios only
#   make soak         1,000 lifecycles and 200 killed creates: nothing may leak
#   make fuzz         each fuzz target for FUZZTIME, or FUZZTIME=counts (config.json, mountinfo, layer unpack, quickjson)
#   make lint         gofmt, go vet, staticcheck (when installed)
#   make demo         build, then run a busybox container that says hello
#   make runc-suite-v2 runc's suite (cgroups update events pause delete) in the
#                     v2 guest and the systemd guest, Debian's runc and
#                     ./xrt side by side (tests/v2/runc-suite.sh), as root
#   make test-systemd the systemd cgroup driver's tests in a qemu guest with
#                     systemd as PID 1 on cgroup v2 (xrt, then runc to
#                     compare; RUNC= skips runc; SYSTEMD_BATS picks files,
#                     SYSTEMD_RESULTS=DIR keeps the TAP, DIR must exist);
#                     fails if the guest does not boot

GO          ?= go
# `make test-systemd RUNC=` skips the runc comparison in the guest.
RUNC_SET    := $(if $(filter command line environment,$(origin RUNC)),1)
BATS        ?= bats
BATS_FLAGS  ?=
# Per-test limit, so that a hanging runtime cannot hang the suite.
BATS_TEST_TIMEOUT ?= 120
VERSION     := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
COMMIT      := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
GOBIN_DIR   := $(shell $(GO) env GOPATH 2>/dev/null)/bin
STATICCHECK ?= $(GOBIN_DIR)/staticcheck

GO_BUILD_TAGS := netgo osusergo urfave_cli_no_docs
GO_LDFLAGS    := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -extldflags -static

.PHONY: all xrt testbin test test-v2 unit integration runc-suite runc-suite-v2 test-systemd bench bench-v2 soak fuzz lint demo clean

all: xrt

# Always handed to go build: its cache knows better than make what changed.
xrt:
	CGO_ENABLED=1 $(GO) build -trimpath -tags '$(GO_BUILD_TAGS)' -ldflags '$(GO_LDFLAGS)' -o xrt .

# Helper programs of the tests (tests/cmd/*), static so that they also run
# inside busybox containers.
testbin:
	@mkdir -p tests/bin
	CGO_ENABLED=0 $(GO) build -trimpath -o tests/bin/ ./tests/cmd/...

test: unit integration

unit:
	$(GO) vet ./...
	$(GO) test ./...

integration: xrt testbin
	@if [ "$$(id -u)" -ne 0 ]; then echo "make integration: the integration tests must run as root" >&2; exit 1; fi
	BATS_TEST_TIMEOUT=$(BATS_TEST_TIMEOUT) $(BATS) --jobs 1 $(BATS_FLAGS) tests/integration

# Every file of runc's suite, no exemptions (tests/runc-suite/run.sh --ci
# is CI's part of it). Needs ../shared/runc-suite, or RUNC_SUITE=DIR.
runc-suite: xrt
	tests/runc-suite/run.sh

# Two guest boots (cgroupfs, then systemd), each running the files for runc
# then xrt; V2_SUITE_DRIVERS, V2_SUITE_RUNTIMES and RUNC_SUITE_V2_FILES pick
# less. Not part of "test": under TCG it takes the better part of an hour.
RUNC_SUITE_V2_FILES ?=
runc-suite-v2: xrt
	tests/v2/runc-suite.sh $(RUNC_SUITE_V2_FILES)

# The guest runs under TCG here: about a minute to boot systemd, then the
# tests at 10-40x the host's time.
SYSTEMD_VM_TIMEOUT ?= 1800
test-systemd: xrt testbin
	@if [ "$$(id -u)" -ne 0 ]; then echo "make test-systemd: the guest needs root (qemu, 9p passthrough)" >&2; exit 1; fi
	tests/v2vm-systemd/run.sh --share $(CURDIR) --cwd $(CURDIR) --timeout $(SYSTEMD_VM_TIMEOUT) \
		$(if $(RUNC_SET),-e RUNC=$(RUNC)) \
		$(if $(SYSTEMD_BATS),-e "SYSTEMD_BATS=$(SYSTEMD_BATS)") \
		$(if $(SYSTEMD_RESULTS),--share $(SYSTEMD_RESULTS) -e SYSTEMD_RESULTS=$(SYSTEMD_RESULTS)) \
		-- tests/v2vm-systemd/guest-tests.sh

# Not part of "test": it boots a guest (qemu, Debian's kernel; 10-15
# minutes under TCG). V2_BATS picks the bats files, V2VM the harness.
test-v2: xrt testbin
	tests/v2/run.sh

bench: xrt testbin
	tests/bench/bench.sh
	tests/bench/image.sh

bench-v2: xrt
	tests/bench/v2.sh

soak: xrt testbin
	tests/soak/soak.sh

# Each target with its seed corpus (testdata/fuzz); the layer unpacker's
# on tmpfs (it writes a layer per input).
FUZZTIME ?= 30s
FUZZ_TARGETS := ./bundle:FuzzParseValidate ./mountinfo:FuzzGetMountsFromReader \
	./image/unpack:FuzzApply ./image/unpack:FuzzGzipReader ./image/unpack:FuzzZstdReader \
	./quickjson:FuzzAgreesWithEncodingJSON ./quickjson:FuzzMarshalIsEncodingJSONs
# FUZZTIME=counts runs each target for a number of inputs instead, about
# 10 s each here (CI does). A count leaves Go 1.26's fuzz coordinator no
# deadline to race: with a duration, a worker slow to stop on a loaded
# machine fails the run with "context deadline exceeded" and no input to
# blame (go.dev/issue/75804, fixed in Go 1.27).
FUZZ_COUNTS := FuzzParseValidate=100000x FuzzGetMountsFromReader=100000x \
	FuzzApply=1000x FuzzGzipReader=60000x FuzzZstdReader=20000x \
	FuzzAgreesWithEncodingJSON=50000x FuzzMarshalIsEncodingJSONs=150000x
# Each new interesting input is minimized first, for at most this long.
FUZZMINTIME ?= 10s
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		budget=$(FUZZTIME); \
		if [ "$$budget" = counts ]; then \
			for kv in $(FUZZ_COUNTS); do [ "$${kv%%=*}" != "$${t##*:}" ] || budget=$${kv#*=}; done; \
		fi; \
		echo "fuzz $$t for $$budget"; \
		TMPDIR=/dev/shm $(GO) test $${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $$budget -fuzzminimizetime $(FUZZMINTIME); \
	done

lint:
	@files=$$(find . -name '*.go' -not -path './.git/*' -not -path './vendor/*'); \
	if [ -n "$$files" ]; then \
		out=$$(gofmt -l $$files); \
		if [ -n "$$out" ]; then echo "gofmt -l: these files need formatting:"; echo "$$out"; exit 1; fi; \
	fi
	$(GO) vet ./...
	@if [ -x "$(STATICCHECK)" ]; then \
		echo "$(STATICCHECK) ./..."; "$(STATICCHECK)" ./...; \
	else \
		echo "staticcheck not installed at $(STATICCHECK): skipped"; \
	fi

demo: xrt
	tests/fixtures/demo.sh

clean:
	rm -f xrt tests/bench/last.json tests/bench/last.md tests/bench/last-v2.json tests/bench/last-v2.md
	rm -rf tests/bin
