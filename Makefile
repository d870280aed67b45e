# SPDX-License-Identifier: GPL-2.0
#
# memvirt: top-level build.
#
#   make               kernel module (against KDIR), the memvirt CLI and its
#                      man pages ($(BUILD)/man; make man builds those alone)
#   make demo          boot a stock kernel in QEMU and show memvirt on real VMs
#   make check         build and run the kselftests on every test kernel
#   make check-debug   the same on the debug kernel only (KASAN, lockdep, ...)
#   make stress        the fuzzer and the churn test at 10x their size
#   make bench         performance figures on every test kernel (QUICK=1: a
#                      shorter run); Documentation/performance.rst
#   make deps          install the Debian packages building and running need
#   make deps-test     ... and those the tests and the demo need (as root)
#   make style         checkpatch --strict on the module
#   make regen         regenerate the netlink contract from its spec,
#                      Documentation/netlink/specs/memvirt.yaml: the UAPI
#                      header, kmod's policies and op table, the CLI's and the
#                      tests' attribute tables (make check-regen: check only)
#   make deb           Debian packages memvirt and memvirt-dkms, lintian-checked
#   make install       the CLI, the module (modules_install + depmod), the man
#                      pages, bash completion, the systemd units and examples, under
#                      DESTDIR and PREFIX (default /usr/local); make uninstall

KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD ?= $(CURDIR)/.build
V ?= 0

ifeq ($(V),1)
Q :=
else
Q := @
MAKEFLAGS += --no-print-directory
endif

export BUILD V

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
DOCDIR ?= $(DATADIR)/doc/memvirt
UNITDIR ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(DATADIR)/bash-completion/completions
MANDIR ?= $(DATADIR)/man
MANPAGES := $(basename $(notdir $(wildcard Documentation/man/memvirt*.rst)))
# The release KDIR builds for: where modules_install puts memvirt.ko. From
# the path when KDIR is /lib/modules/<release>/build (Debian's 6.1 headers
# report the upstream release, 6.1.N, not the package's).
KREL ?= $(or $(patsubst /lib/modules/%/build,%,$(filter /lib/modules/%/build,$(KDIR))),$(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null))

.PHONY: all kmod user man bpf selftests deps deps-test check check-debug stress bench demo style clean
.PHONY: regen check-regen
.PHONY: install install-user install-kmod uninstall deb

all: kmod user man

kmod:
	$(Q)if [ ! -d "$(KDIR)" ]; then \
		echo "memvirt: no kernel build tree at $(KDIR)."; \
		echo "  Install this kernel's headers (linux-headers-$$(uname -r)) or pass KDIR=..."; \
		echo "  To build and test against the stock test kernels in QEMU, run 'make check'."; \
		exit 1; \
	fi
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) modules

user bpf:
	$(Q)$(MAKE) -C $@

# From Documentation/man/*.rst, with parts generated from the CLI's --help.
man: user
	$(Q)$(MAKE) -C Documentation/man

selftests: user
	$(Q)$(MAKE) -C selftests

deps:
	$(Q)./scripts/deps.sh build

deps-test:
	$(Q)./scripts/deps.sh test

check: deps-test
	$(Q)./selftests/qemu/check.sh

check-debug: deps-test
	$(Q)MEMVIRT_KERNELS=debug MEMVIRT_DEBUG_KERNEL=build ./selftests/qemu/check.sh

# 10x the sizes make check runs, on every kernel; seeds are printed.
stress: deps-test
	$(Q)MEMVIRT_TESTS="memvirt_fuzz memvirt_churn_test" \
		MEMVIRT_FUZZ_COUNT=$${MEMVIRT_FUZZ_COUNT:-1000000} \
		MEMVIRT_CHURN_CYCLES=$${MEMVIRT_CHURN_CYCLES:-10000} \
		MEMVIRT_CHURN_RELOADS=$${MEMVIRT_CHURN_RELOADS:-500} \
		MEMVIRT_KERNELS="$$(./scripts/kernels.sh | tr '\n' ' ') debug" \
		MEMVIRT_QEMU_TIMEOUT=$${MEMVIRT_QEMU_TIMEOUT:-7200} \
		MEMVIRT_TEST_TIMEOUT=$${MEMVIRT_TEST_TIMEOUT:-3600} \
		./selftests/qemu/check.sh

# Not part of check: figures, not verdicts (selftests/bench/bench.sh).
bench: deps-test
	$(Q)QUICK=$(QUICK) ./selftests/bench/bench.sh

demo: deps-test
	$(Q)./selftests/qemu/demo.sh

style:
	$(Q)./scripts/linux-source.sh $(BUILD)/linux-source
	$(Q)$(BUILD)/linux-source/scripts/checkpatch.pl --strict --no-tree \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f $(filter-out %.mod.c,$(wildcard kmod/*.c)) kmod/*.h include/uapi/linux/memvirt.h

# scripts/nl-regen.sh: ynl-gen-c.py from linux-source-6.12 and scripts/nlgen.py.
regen:
	$(Q)./scripts/nl-regen.sh

check-regen:
	$(Q)./scripts/nl-regen.sh --check

install: install-user install-kmod

install-user: user man
	$(Q)install -D -m 0755 user/memvirt $(DESTDIR)$(SBINDIR)/memvirt
	$(Q)install -d $(DESTDIR)$(MANDIR)/man8
	$(Q)install -m 0644 $(addprefix $(BUILD)/man/,$(addsuffix .8,$(MANPAGES))) \
		$(DESTDIR)$(MANDIR)/man8/
	$(Q)install -D -m 0644 contrib/bash-completion/memvirt \
		$(DESTDIR)$(COMPLETIONDIR)/memvirt
	$(Q)mkdir -p $(DESTDIR)$(UNITDIR)
	$(Q)for u in memvirt memvirt-export; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
			contrib/systemd/$$u.service.in > $(DESTDIR)$(UNITDIR)/$$u.service || exit; \
	done
	$(Q)install -D -m 0644 contrib/grafana/memvirt.json \
		$(DESTDIR)$(DOCDIR)/examples/grafana/memvirt.json
	$(Q)install -D -m 0644 contrib/prometheus/memvirt-rules.yml \
		$(DESTDIR)$(DOCDIR)/examples/prometheus/memvirt-rules.yml
	$(Q)install -D -m 0644 contrib/modules-load.d/memvirt.conf \
		$(DESTDIR)$(DOCDIR)/examples/modules-load.d/memvirt.conf
	$(Q)install -m 0644 README.md Documentation/memvirt.rst \
		Documentation/faults.rst $(DESTDIR)$(DOCDIR)/

# modules_install puts memvirt.ko (compressed as the kernel's modules are)
# under $(DESTDIR)/lib/modules/<release>/updates/kmod, unsigned (the
# kernel's signing key is not in its headers: on a Secure Boot host sign it,
# or install through DKMS, which signs with its own key); depmod then
# indexes that tree only (-b), never the host's when DESTDIR is set.
install-kmod: kmod
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates KERNELRELEASE=$(KREL) \
		CONFIG_MODULE_SIG_ALL= modules_install
	$(Q)depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)

# Debian packages (memvirt, memvirt-dkms) from the working tree, built in a
# copy under $(BUILD)/deb, where the .debs land; lintian must find no error.
deb: deps-test
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	$(Q)git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C $(BUILD)/deb/src
	$(Q)cd $(BUILD)/deb/src && dpkg-buildpackage -us -uc -b > ../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	$(Q)lintian --fail-on error $(BUILD)/deb/*.changes
	$(Q)ls $(BUILD)/deb/*.deb

uninstall:
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/memvirt $(DESTDIR)$(COMPLETIONDIR)/memvirt \
		$(DESTDIR)$(UNITDIR)/memvirt-export.service $(DESTDIR)$(UNITDIR)/memvirt.service \
		$(addprefix $(DESTDIR)$(MANDIR)/man8/,$(addsuffix .8,$(MANPAGES)))
	$(Q)rm -rf $(DESTDIR)$(DOCDIR)
	$(Q)rm -f $(DESTDIR)/lib/modules/$(KREL)/updates/kmod/memvirt.ko*
	$(Q)rmdir $(DESTDIR)/lib/modules/$(KREL)/updates/kmod 2>/dev/null || true
	$(Q)if [ -d $(DESTDIR)/lib/modules/$(KREL) ]; then \
		depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KREL); fi

clean:
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(Q)$(MAKE) -C user clean
	$(Q)$(MAKE) -C bpf clean
	$(Q)$(MAKE) -C selftests clean
	$(Q)rm -rf $(BUILD)
