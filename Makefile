# gorunit: a runit-compatible init system and service supervisor in Go.
GO      ?= go
PREFIX  ?= /usr
DESTDIR ?=
BIN      = bin
LDFLAGS  = -s -w
export CGO_ENABLED = 0

# runit's commands, and chpst's personalities (symlinks to chpst).
COMMANDS      = runit runit-init runsvdir runsv sv svlogd chpst tai64nlocal utmpset runsvchdir svok svc svstat multilog
PERSONALITIES = envdir envuidgid setuidgid softlimit setlock pgrphack

.PHONY: all build test test-short oracle install clean fmt vet fuzz

all: build

# Every main package under cmd/ into ./bin under its own name, static.
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ ./cmd/...
	@if [ -x $(BIN)/chpst ]; then for p in $(PERSONALITIES); do ln -sf chpst $(BIN)/$$p; done; fi

# runit's and busybox-static's Debian binaries, extracted (not installed),
# as the reference the tests compare against.
oracle:
	@./scripts/fetch-oracle.sh

# Every test (integration tests need root, ./bin and the oracle).
test: build oracle
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# Unit tests only.
test-short:
	$(GO) test -short -count=1 ./...

# Installs under runit's usual (Debian) paths: /sbin/runit,
# /lib/runit/runit-init, $(PREFIX)/bin/{chpst,runsv,runsvdir,sv,svlogd,...},
# $(PREFIX)/sbin/{runsvchdir,utmpset}; manual pages (man/) gzipped into
# $(PREFIX)/share/man/man7 and man8.
install: build
	install -d $(DESTDIR)/sbin $(DESTDIR)/lib/runit $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	@for c in $(COMMANDS) $$(ls $(BIN)); do \
	  [ -f $(BIN)/$$c ] && [ ! -L $(BIN)/$$c ] || continue; \
	  case $$c in \
	    runit) d=$(DESTDIR)/sbin ;; \
	    runit-init) d=$(DESTDIR)/lib/runit ;; \
	    runsvchdir|utmpset) d=$(DESTDIR)$(PREFIX)/sbin ;; \
	    *) d=$(DESTDIR)$(PREFIX)/bin ;; \
	  esac; \
	  echo "install $$c -> $$d"; install -m 0755 $(BIN)/$$c $$d/$$c; \
	done
	@for p in $(PERSONALITIES); do ln -sf chpst $(DESTDIR)$(PREFIX)/bin/$$p; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/man/man8
	@for m in man/*.7 man/*.8; do \
	  d=$(DESTDIR)$(PREFIX)/share/man/man$${m##*.}; \
	  gzip -9n -c $$m > $$d/$${m#man/}.gz && chmod 0644 $$d/$${m#man/}.gz || exit 1; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf $(BIN)

# Benchmarks, ours against runit's Debian binaries, alternately, median of
# 3 rounds; writes BENCHMARKS.md (harness and how to read it: bench/).
# BENCH_QUICK=1: short run; BENCH_IDLE=30s: idle window of row 7;
# BENCH_ARGS: more options (e.g. -only svlogd,reap -rounds 5).
.PHONY: bench
bench: build oracle
	@mkdir -p .cache/bench
	$(GO) build -trimpath -o .cache/bench/gorunit-bench ./bench
	./.cache/bench/gorunit-bench $(if $(BENCH_QUICK),-quick) $(if $(BENCH_IDLE),-idle $(BENCH_IDLE)) -out BENCHMARKS.md $(BENCH_ARGS)

# Debian's kernel (linux-image-amd64's current version), extracted into
# .cache/kernel/vmlinux for the qemu tests and the demo.
.PHONY: kernel demo qemu-test
kernel:
	@./scripts/qemu/fetch-kernel.sh

# Boot the example tree (etc-examples) in qemu with gorunit as process 1,
# the serial console on this terminal; leave with Ctrl-a x.
# DEMO_VARIANT=builtin: no stage scripts; DEMO_RUNIT=debian: runit's
# binaries; QEMU_KVM=1: use KVM.
demo: build
	@./scripts/qemu/demo.sh

# Real boots under qemu (software emulation, two at a time): stages,
# services, sv, reaping, power-off, reboot, ctrl-alt-del (qemu-test/).
# Needs qemu-system-x86, cpio, xz-utils and busybox-static.
qemu-test: build oracle kernel
	$(GO) test -tags qemu -count=1 -parallel 2 -timeout 15m ./qemu-test/
