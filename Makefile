# SPDX-License-Identifier: GPL-2.0
#
# memvirt: top-level build.
#
#   make               kernel module (against KDIR) and the memvirt CLI
#   make demo          boot a stock kernel in QEMU and show memvirt on real VMs
#   make check         build and run the kselftests on every test kernel
#   make check-debug   the same on the debug kernel only (KASAN, lockdep, ...)
#   make stress        the fuzzer and the churn test at 10x their size
#   make bench         performance figures on every test kernel (QUICK=1: a
#                      few minutes); Documentation/performance.rst
#   make deps          install the Debian packages that are missing (as root)
#   make style         checkpatch --strict on the module

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

.PHONY: all kmod user bpf selftests deps check check-debug stress bench demo style clean

all: kmod user

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

selftests: user
	$(Q)$(MAKE) -C selftests

deps:
	$(Q)./scripts/deps.sh

check: deps
	$(Q)./selftests/qemu/check.sh

check-debug: deps
	$(Q)MEMVIRT_KERNELS=debug MEMVIRT_DEBUG_KERNEL=build ./selftests/qemu/check.sh

# 10x the sizes make check runs, on every kernel; seeds are printed.
stress: deps
	$(Q)MEMVIRT_TESTS="memvirt_fuzz memvirt_churn_test" \
		MEMVIRT_FUZZ_COUNT=$${MEMVIRT_FUZZ_COUNT:-1000000} \
		MEMVIRT_CHURN_CYCLES=$${MEMVIRT_CHURN_CYCLES:-10000} \
		MEMVIRT_CHURN_RELOADS=$${MEMVIRT_CHURN_RELOADS:-500} \
		MEMVIRT_KERNELS="$$(./scripts/kernels.sh | tr '\n' ' ') debug" \
		MEMVIRT_QEMU_TIMEOUT=$${MEMVIRT_QEMU_TIMEOUT:-7200} \
		MEMVIRT_TEST_TIMEOUT=$${MEMVIRT_TEST_TIMEOUT:-3600} \
		./selftests/qemu/check.sh

# Not part of check: figures, not verdicts (selftests/bench/bench.sh).
bench: deps
	$(Q)QUICK=$(QUICK) ./selftests/bench/bench.sh

demo: deps
	$(Q)./selftests/qemu/demo.sh

style:
	$(Q)./scripts/linux-source.sh $(BUILD)/linux-source
	$(Q)$(BUILD)/linux-source/scripts/checkpatch.pl --strict --no-tree \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG -f kmod/*.c kmod/*.h include/uapi/linux/memvirt.h

clean:
	$(Q)if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	$(Q)$(MAKE) -C user clean
	$(Q)$(MAKE) -C bpf clean
	$(Q)$(MAKE) -C selftests clean
	$(Q)rm -rf $(BUILD)
