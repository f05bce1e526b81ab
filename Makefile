# Berth: one entry point. `make help` lists the targets.
SHELL := /bin/bash
BERTH_CACHE ?= $(HOME)/.cache/berth
OUT ?= $(CURDIR)/out
VERSION ?= $(shell cat VERSION)
export BERTH_CACHE OUT VERSION

# build order: a package comes after the packages in its DEPS
PKGS := zlib zstd libseccomp libcap yajl argp libyaml libsodium libxcrypt busybox crun dropbear opendoas e2fsprogs

# Berth's own C programs: one folder each, linked with lib/, static musl
CC_MUSL := $(OUT)/toolchain/musl-cc
BERTH_CFLAGS := -std=gnu11 -Os -Wall -Wextra -D_GNU_SOURCE -fstack-protector-strong -ffile-prefix-map=$(CURDIR)=. \
	-Ilib -I$(OUT)/sysroot/usr/include
BERTH_LDFLAGS := -static -s -L$(OUT)/sysroot/usr/lib
LIB_SRC := $(wildcard lib/*.c)
LIB_HDR := $(wildcard lib/*.h)
# program name = folder (initramfs builds out/bin/initramfs-init)
PROGS := initramfs-init:initramfs init:init floor-init:bench berth:berth provision:provision netcfg:netcfg

define prog_rule
$(OUT)/bin/$(1): $$(wildcard $(2)/*.c $(2)/*.h) $$(LIB_SRC) $$(LIB_HDR) $(OUT)/pkgs/.complete
	@mkdir -p $$(@D)
	$$(CC_MUSL) $$(BERTH_CFLAGS) -o $$@ $$(filter %.c,$$^) $$(BERTH_LDFLAGS) $$(LIBS_$(1))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(word 1,$(subst :, ,$(p))),$(word 2,$(subst :, ,$(p))))))
LIBS_berth := -lyaml -lyajl -lsodium -lzstd -lz
LIBS_provision := -lyaml -lz -lsodium
PROG_BINS := $(foreach p,$(PROGS),$(OUT)/bin/$(word 1,$(subst :, ,$(p))))

# written each time pkgs.sh publishes a new package set: relink against it
$(OUT)/pkgs/.complete:
	@$(MAKE) --no-print-directory pkgs

.DEFAULT_GOAL := all
.PHONY: all deps kernel headers pkgs progs manifest image bundle demo test-image run check test bench reproduce clean distclean help

all: kernel pkgs manifest ## build the kernel, every package and out/manifest.json (the SBOM)

deps: ## install missing host packages (apt-get, as root) and enable deb-src
	@scripts/deps.sh

kernel: deps ## build out/vmlinuz from Debian's linux-source-6.1 and kernel-config/ (cached)
	@scripts/kernel.sh

headers: deps ## install the kernel's UAPI headers for musl into the cache
	@scripts/kernel-headers.sh >/dev/null

pkgs: deps headers ## build every package in pkgs/ static against musl (cached)
	@scripts/pkgs.sh $(PKGS)

progs: pkgs ## build Berth's own C programs into out/bin
	@$(MAKE) --no-print-directory $(PROG_BINS)

manifest: progs ## out/manifest.json: the SBOM (CycloneDX) of the staged root: packages, sources, every file
	@ROOTFS_STAGE_ONLY=1 images/rootfs.sh

image: all progs ## build out/berth.img, out/berth.qcow2, out/berth.efi, out/root.img (VERSION=x)
	@images/rootfs.sh
	@images/initramfs.sh
	@images/uki.sh
	@images/disk.sh

run: image demo ## build and boot Berth in QEMU with the demo container (UEFI, serial console here; Ctrl-a x quits)
	@tests/lib/run-vm.sh

bundle: image ## out/berth-VERSION.bundle: the signed update (key: BERTH_SIGNING_KEY, else a dev key)
	@images/bundle.sh

demo: pkgs ## out/demo.tar: the demo container image (busybox), made with umoci and skopeo
	@images/demo.sh

test-image: image demo ## out/test/berth.img: the image with a test SSH key for root in /var
	@tests/lib/test-image.sh

check: all progs ## fast host tests (no VM)
	@tests/run.sh tests/host

test: test-image bundle demo ## every test, QEMU boots included (what CI runs); ends with "bats: N passed, N failed, N skipped"
	@tests/run.sh tests/host tests/vm

bench: test-image bundle ## every figure beside its floor: table + out/bench.json (BENCH_RUNS=5, BENCH_PEER=1)
	@scripts/bench.sh

reproduce: image ## build the image twice in two fresh clones (own caches for the image steps) and compare every shipped output
	@scripts/reproduce.sh

clean: ## remove out/ (the cache stays)
	rm -rf $(OUT)

distclean: clean ## remove out/ and the build cache (BERTH_CACHE)
	rm -rf $(BERTH_CACHE)

help: ## list the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | expand -t 12
