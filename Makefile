# docker-fw - see README.md. `make` builds the static binary; `make check`
# and `make demo` install what they need on Debian 12 (as root).

VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)
BUILD ?= build
DEPS := $(BUILD)/deps
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin

MUSLCC ?= musl-gcc
HOSTCC ?= gcc
FUZZCC ?= clang

# Warnings are errors in CI (CI=true) or with WERROR=1.
WERR := $(if $(filter true 1,$(CI) $(WERROR)),-Werror)
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter $(WERR)
CSTD := -std=gnu11 -D_GNU_SOURCE
INC := -Iinclude -Iapplets -I$(DEPS)/include -idirafter $(DEPS)/kinclude
CFLAGS ?= -Os
# Size: each function and object in its own section for --gc-sections;
# no unwind tables (C without exceptions: .eh_frame was 47 KiB of 490).
CFLAGS += $(CSTD) $(WARN) -ffunction-sections -fdata-sections \
	-fno-asynchronous-unwind-tables -fno-unwind-tables \
	-DDFW_VERSION='"$(VERSION)"'
# libiptc's socket calls go through core/fw_iptc.c, which digests the
# tables it reads and commits (fw_iptc_seen): every link of core/ has it.
WRAP := -Wl,--wrap=getsockopt,--wrap=setsockopt
LDFLAGS += -static -s -Wl,--gc-sections $(WRAP)

CORE_SRC := $(sort $(wildcard core/*.c))
APPLET_SRC := $(sort $(wildcard applets/*.c))
SRC := $(CORE_SRC) $(APPLET_SRC)
OBJ := $(SRC:%.c=$(BUILD)/musl/%.o)
MUSL_LIBS := $(DEPS)/musl/lib/libip4tc.a $(DEPS)/musl/lib/libip6tc.a \
	$(DEPS)/musl/lib/libbearssl.a
HOST_LIBS := $(DEPS)/host/lib/libip4tc.a $(DEPS)/host/lib/libip6tc.a \
	$(DEPS)/host/lib/libbearssl.a

# Unit tests and fuzzers: the host libc, with sanitizers.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/unit/%)
# What of applets/ the tests and test tools use besides core/: the one
# reader of the environment and the command line (applets/config.c).
APPLET_LIB_SRC := applets/config.c
ASAN_OBJ := $(CORE_SRC:%.c=$(BUILD)/asan/%.o) \
	$(APPLET_LIB_SRC:%.c=$(BUILD)/asan/%.o)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ := $(CORE_SRC:%.c=$(BUILD)/fuzz/%.o)
FUZZ_SECONDS ?= 600

APPLETS = $(shell sed -n 's/^APPLET."\([^"]*\)".*/\1/p' applets/applets.h)

all: docker-fw

docker-fw: $(OBJ) $(MUSL_LIBS)
	$(MUSLCC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJ) $(MUSL_LIBS)

$(BUILD)/musl/%.o: %.c $(DEPS)/musl/.done
	@mkdir -p $(@D)
	$(MUSLCC) $(CFLAGS) $(INC) -MMD -MP -c -o $@ $<

# Dependencies: fetched and built once, redone only when missing.
$(DEPS)/musl/.done:
	sh scripts/deps.sh musl $(BUILD)
# After musl's: both share one apt lists directory (apt's lock), so make -j
# must not run them at once.
$(DEPS)/host/.done: | $(DEPS)/musl/.done
	sh scripts/deps.sh host $(BUILD)
$(MUSL_LIBS): $(DEPS)/musl/.done
$(HOST_LIBS): $(DEPS)/host/.done
deps: $(DEPS)/musl/.done

# A glibc build for a fast edit loop; tests and releases use docker-fw.
docker-fw-glibc: $(SRC) $(HOST_LIBS)
	$(HOSTCC) -O1 -g $(CSTD) $(WARN) $(INC) -DDFW_VERSION='"$(VERSION)"' \
		-o $@ $(SRC) $(HOST_LIBS) $(WRAP)

$(BUILD)/asan/%.o: %.c $(DEPS)/host/.done
	@mkdir -p $(@D)
	$(HOSTCC) -O1 -g $(CSTD) $(WARN) $(SAN) $(INC) -MMD -MP -c -o $@ $<
$(BUILD)/asan/libcore.a: $(ASAN_OBJ)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/unit/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/asan/libcore.a \
		$(HOST_LIBS)
	@mkdir -p $(@D)
	$(HOSTCC) -O1 -g $(CSTD) $(WARN) $(SAN) $(INC) -Itests/unit -o $@ $< \
		$(BUILD)/asan/libcore.a $(HOST_LIBS) $(WRAP) $(UNIT_LDFLAGS)
# Unit tests that fail allocations on purpose (tests/unit/failalloc.h).
FAILALLOC := $(BUILD)/unit/test_tls $(BUILD)/unit/test_http \
	$(BUILD)/unit/test_client $(BUILD)/unit/test_watch \
	$(BUILD)/unit/test_rulespec $(BUILD)/unit/test_store
$(FAILALLOC): tests/unit/failalloc.h
$(FAILALLOC): UNIT_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc

$(BUILD)/fuzz/%.o: %.c $(DEPS)/host/.done
	@mkdir -p $(@D)
	$(FUZZCC) -O1 -g $(CSTD) $(WARN) $(INC) -fsanitize=fuzzer-no-link,address,undefined \
		-c -o $@ $<
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	$(FUZZCC) -O1 -g $(CSTD) $(WARN) $(INC) -fsanitize=fuzzer,address,undefined \
		-o $@ $< $(FUZZ_OBJ) $(HOST_LIBS) $(WRAP)

# Test tools: static musl programs that drive core/ from the e2e tests.
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/test/%)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/musl/%.o) \
	$(APPLET_LIB_SRC:%.c=$(BUILD)/musl/%.o)
$(BUILD)/test/%: tests/tools/%.c $(CORE_OBJ) $(MUSL_LIBS)
	@mkdir -p $(@D)
	$(MUSLCC) $(CFLAGS) $(INC) $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(MUSL_LIBS)
tools: $(TOOL_BIN)

unit: $(UNIT_BIN)
fuzz-build: $(FUZZ_BIN)

test-deps:
	sh scripts/install-pkgs.sh test

# The test command (README.md): unit tests under ASan+UBSan, a bounded
# fuzz run, then end-to-end tests against real dockerd in namespaces.
check: test-deps
	$(MAKE) fmt-check
	$(MAKE) docker-fw tools unit fuzz-build
	sh scripts/deps.sh engine $(BUILD)
	sh tests/run.sh

# Long fuzzing: FUZZ_SECONDS per target.
fuzz: test-deps
	$(MAKE) fuzz-build
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: test-deps
	$(MAKE) docker-fw
	sh scripts/deps.sh engine $(BUILD)
	sh tests/demo.sh

# BENCH_WATCH=0 skips dfw-watch's part (tests/bench_watch.sh)
bench: test-deps
	$(MAKE) docker-fw tools
	sh scripts/deps.sh engine $(BUILD)
	sh tests/bench.sh
	[ "$${BENCH_WATCH:-1}" = 0 ] || sh tests/bench_watch.sh

install: docker-fw
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 docker-fw $(DESTDIR)$(BINDIR)/docker-fw
	for a in $(APPLETS); do \
		ln -sf docker-fw $(DESTDIR)$(BINDIR)/dfw-$$a || exit 1; done

# The boot files (rootfs/, at their install paths): services for
# sysvinit, OpenRC, runit, s6 and systemd, /usr/lib/docker-fw/boot they
# share, /etc/docker-fw/. INIT=openrc installs the OpenRC service as
# /etc/init.d/docker-fw instead of the sysvinit script.
ROOTFS_FILES = $(shell cd rootfs && find . -type f ! -name '*.openrc' | sort)
install-rootfs:
	for f in $(ROOTFS_FILES); do m=644; [ -x "rootfs/$$f" ] && m=755; \
		install -D -m $$m "rootfs/$$f" "$(DESTDIR)/$$f" || exit 1; done
	if [ "$(INIT)" = openrc ]; then install -m 755 \
		rootfs/etc/init.d/docker-fw.openrc \
		"$(DESTDIR)/etc/init.d/docker-fw"; fi

# A tarball of a minimal root tree: the static binary in /usr/bin, its
# dfw-* links and the boot files, for an appliance image or an initramfs.
ROOTFS_TAR ?= docker-fw-rootfs.tar.gz
rootfs: docker-fw
	rm -rf $(BUILD)/rootfs
	mkdir -p $(BUILD)/rootfs
	$(MAKE) --no-print-directory install-rootfs \
		DESTDIR=$(abspath $(BUILD)/rootfs)
	$(MAKE) --no-print-directory install PREFIX=/usr \
		DESTDIR=$(abspath $(BUILD)/rootfs)
	tar -C $(BUILD)/rootfs --owner=0 --group=0 --numeric-owner \
		-czf $(ROOTFS_TAR).tmp . && mv $(ROOTFS_TAR).tmp $(ROOTFS_TAR)

# The house style (.clang-format, clang-format 14): `make fmt` formats in
# place; `make check` runs fmt-check first, so CI refuses unformatted code.
FMT_SRC := $(sort $(wildcard core/*.[ch] applets/*.[ch] include/*.h \
	include/*/*.h tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.c))
fmt:
	clang-format -i $(FMT_SRC)
fmt-check:
	clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf $(BUILD)/musl $(BUILD)/asan $(BUILD)/unit $(BUILD)/fuzz \
		$(BUILD)/rootfs docker-fw docker-fw-glibc docker-fw-rootfs.tar.gz

distclean:
	rm -rf $(BUILD) docker-fw docker-fw-glibc

.PHONY: all deps tools unit fuzz-build test-deps check fuzz demo bench install \
	install-rootfs rootfs \
	fmt fmt-check clean distclean
.DELETE_ON_ERROR:

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d)
