# gorunit: a runit-compatible init system and service supervisor in Go.
# go from PATH, else go.dev's usual place (a root shell may lack it in PATH).
ifeq ($(origin GO),undefined)
GO := $(or $(shell command -v go 2>/dev/null),$(wildcard /usr/local/go/bin/go),go)
endif
PREFIX  ?= /usr
DESTDIR ?=
BIN      = bin
LDFLAGS  = -s -w -checklinkname=0
# gorunit_linkname: internal/lean lengthens the Go runtime's idle sysmon
# wake-up of the daemons (a runtime variable reached by go:linkname, which
# needs -checklinkname=0); without the tag they wake every 60 s.
TAGS     = gorunit_linkname
export CGO_ENABLED = 0

# runit's commands and chpst's personalities: each is a symbolic link to
# the one multi-call binary, gorunit (cmd/gorunit), which runs the command
# its link is named after.
COMMANDS      = runit runit-init runsvdir runsv sv svlogd chpst tai64nlocal utmpset runsvchdir svok svc svstat multilog
PERSONALITIES = envdir envuidgid setuidgid softlimit setlock pgrphack

.PHONY: all build test test-short oracle install clean fmt vet fuzz setup deb deb-test

all: build

# One static binary, ./bin/gorunit, and every name as a symlink to it.
# The linker writes its output through a shared mapping, which leaves the
# file in the page cache in 4 kB pages; written again with write(2), as
# install(1) and dpkg write it, each start of a command costs ~0.1 ms less
# (fewer, larger page-cache folios to map: docs/footprint.md).
build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o $(BIN)/.gorunit.link ./cmd/gorunit
	@cat $(BIN)/.gorunit.link > $(BIN)/.gorunit.new && chmod 0755 $(BIN)/.gorunit.new && mv -f $(BIN)/.gorunit.new $(BIN)/gorunit && rm -f $(BIN)/.gorunit.link
	@for c in $(COMMANDS) $(PERSONALITIES); do ln -sfn gorunit $(BIN)/$$c; done

# runit's and busybox-static's Debian binaries, extracted (not installed),
# as the reference the tests compare against.
oracle:
	@./scripts/fetch-oracle.sh

# Every test (integration tests need root, ./bin and the oracle).
# The runsv suite runs twice: the second time every runsv of ours hosts
# its directory the way process 1 does (runsv.HostedEnv).
test: build oracle
	$(GO) vet ./...
	$(GO) test -tags '$(TAGS)' -ldflags '-checklinkname=0' -count=1 -timeout 30m ./...
	RUNSV_HOSTED=1 $(GO) test -tags '$(TAGS)' -ldflags '-checklinkname=0' -count=1 -timeout 10m ./runsv/

# Unit tests only.
test-short:
	$(GO) test -tags '$(TAGS)' -ldflags '-checklinkname=0' -short -count=1 ./...

# Installs the one binary as /lib/runit/gorunit and every name as a
# symbolic link to it, at runit's usual (Debian) paths: /sbin/runit,
# /lib/runit/runit-init, $(PREFIX)/bin/{chpst,runsv,runsvdir,sv,svlogd},
# $(PREFIX)/sbin/{runsvchdir,utmpset}; every other command (daemontools'
# names: svok svc svstat multilog tai64nlocal, and chpst's personalities,
# which Debian's daemontools package also installs) in
# $(PREFIX)/lib/gorunit/bin. Man pages (man/NAME.N) to
# $(PREFIX)/share/man/manN, but daemontools' names to
# $(PREFIX)/lib/gorunit/man/manN. The same layout as `make deb`.
# Symbolic links, not hard links: the names span /sbin, /lib and /usr,
# which may be different file systems, and a link shows what it is (ls -l,
# dpkg -S); the binary is on the root file system, as process 1 needs.
# gorunit picks the command by the link's name (see cmd/gorunit), so sv
# behind /etc/init.d/foo -> /usr/bin/sv is still an LSB script and envdir
# etc. still chpst's personalities.
DAEMONTOOLS = svok svc svstat multilog tai64nlocal $(PERSONALITIES)
install: build
	install -d $(DESTDIR)/sbin $(DESTDIR)/lib/runit $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/gorunit/bin
	install -m 0755 $(BIN)/gorunit $(DESTDIR)/lib/runit/gorunit
	@for c in $(COMMANDS) $(PERSONALITIES); do \
	  case $$c in \
	    runit) d=$(DESTDIR)/sbin ;; \
	    runit-init) d=$(DESTDIR)/lib/runit ;; \
	    runsvchdir|utmpset) d=$(DESTDIR)$(PREFIX)/sbin ;; \
	    chpst|runsv|runsvdir|sv|svlogd) d=$(DESTDIR)$(PREFIX)/bin ;; \
	    *) d=$(DESTDIR)$(PREFIX)/lib/gorunit/bin ;; \
	  esac; \
	  echo "link $$d/$$c -> /lib/runit/gorunit"; ln -sfn /lib/runit/gorunit $$d/$$c; \
	done
	@for m in $$(ls man/*.[1-8] 2>/dev/null); do \
	  b=$${m#man/}; n=$${b%.*}; s=$${b##*.}; d=$(DESTDIR)$(PREFIX)/share/man/man$$s; \
	  case " $(DAEMONTOOLS) " in *" $$n "*) d=$(DESTDIR)$(PREFIX)/lib/gorunit/man/man$$s ;; esac; \
	  install -d $$d && install -m 0644 $$m $$d/$$b && echo "install $$b -> $$d"; \
	done

# Installs what building, testing and the demo need (Debian bookworm or
# later, as root): make, a Go that fetches go.mod's toolchain, qemu, the
# tools the tests drive. The README's first command.
setup:
	@./scripts/setup.sh

# The Debian package gorunit_VERSION_ARCH.deb, from ./bin and ./man, with
# dpkg-deb, offline: runit's commands at Debian runit's paths (Debian's
# diverted to NAME.runit while it is installed), the daemontools names and
# chpst's personalities in /usr/lib/gorunit/bin (scripts/mkdeb.sh).
deb: build
	@./scripts/mkdeb.sh

# Boots a debootstrapped bookworm with runit-init, runit-services and the
# package under qemu: gorunit runs it, services come up, runit-init 0
# powers off; then the package is removed again (scripts/deb-test.sh).
deb-test: build
	@./scripts/deb-test.sh

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

# The example image FROM scratch (docker-test/Dockerfile, the README's
# example): ./bin, busybox-static, docker-test/example; runit as
# ENTRYPOINT. Needs a running engine (DOCKER_HOST) and /usr/bin/docker.
.PHONY: image docker-test
image: build oracle
	./docker-test/image.sh gorunit-example

# gorunit under a real Docker engine against tini and Debian's runit
# (docker-test/run.sh): installs docker.io and tini if missing, runs its
# own dockerd under .cache/docker; skips if dockerd cannot start.
docker-test: build oracle
	./docker-test/run.sh
