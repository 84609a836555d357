# gorunit: a runit-compatible init system and service supervisor in Go.
GO      ?= go
PREFIX  ?= /usr
DESTDIR ?=
BIN      = bin
LDFLAGS  = -s -w
export CGO_ENABLED = 0

# runit's commands and chpst's personalities: each is a symbolic link to
# the one multi-call binary, gorunit (cmd/gorunit), which runs the command
# its link is named after.
COMMANDS      = runit runit-init runsvdir runsv sv svlogd chpst tai64nlocal utmpset runsvchdir svok svc svstat multilog
PERSONALITIES = envdir envuidgid setuidgid softlimit setlock pgrphack

.PHONY: all build test test-short oracle install clean fmt vet fuzz

all: build

# One static binary, ./bin/gorunit, and every name as a symlink to it.
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/gorunit ./cmd/gorunit
	@for c in $(COMMANDS) $(PERSONALITIES); do ln -sfn gorunit $(BIN)/$$c; done

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

# Installs the binary as /lib/runit/gorunit and every name at runit's
# Debian path as a symbolic link to it: /sbin/runit,
# /lib/runit/runit-init, $(PREFIX)/bin/{chpst,runsv,runsvdir,sv,svlogd,...},
# $(PREFIX)/sbin/{runsvchdir,utmpset}. Symbolic links, not hard links: the
# names span /sbin, /lib and /usr, which may be different file systems, and
# a link shows what it is (ls -l, dpkg -S); the binary is on the root file
# system, as process 1 needs. gorunit picks the command by the link's name
# (see cmd/gorunit), so sv behind /etc/init.d/foo -> /usr/bin/sv is still
# an LSB script and envdir etc. still chpst's personalities.
install: build
	install -d $(DESTDIR)/sbin $(DESTDIR)/lib/runit $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
	install -m 0755 $(BIN)/gorunit $(DESTDIR)/lib/runit/gorunit
	@for c in $(COMMANDS) $(PERSONALITIES); do \
	  case $$c in \
	    runit) d=$(DESTDIR)/sbin ;; \
	    runit-init) d=$(DESTDIR)/lib/runit ;; \
	    runsvchdir|utmpset) d=$(DESTDIR)$(PREFIX)/sbin ;; \
	    *) d=$(DESTDIR)$(PREFIX)/bin ;; \
	  esac; \
	  echo "link $$d/$$c -> /lib/runit/gorunit"; ln -sfn /lib/runit/gorunit $$d/$$c; \
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
