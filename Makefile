# Berth: one entry point. `make help` lists the targets.
SHELL := /bin/bash
BERTH_CACHE ?= $(HOME)/.cache/berth
OUT ?= $(CURDIR)/out
VERSION ?= $(shell cat VERSION)
export BERTH_CACHE OUT VERSION

# build order: a package comes after the packages in its DEPS
PKGS := zlib zstd libseccomp libcap yajl argp libyaml libsodium nettle libxcrypt busybox crun dropbear opendoas e2fsprogs wolfssl curl ca-certificates

# Berth's own C programs: one folder each, linked with lib/, static musl;
# unused functions are dropped at link time (lib/ is one archive for all)
CC_MUSL := $(OUT)/toolchain/musl-cc
BERTH_CFLAGS := -std=gnu11 -Os -Wall -Wextra -D_GNU_SOURCE -fstack-protector-strong -ffunction-sections -fdata-sections -ffile-prefix-map=$(CURDIR)=. \
	-Ilib -I$(OUT)/sysroot/usr/include
BERTH_LDFLAGS := -static -s -Wl,--gc-sections -L$(OUT)/sysroot/usr/lib
LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(patsubst %.c,$(OUT)/obj/%.o,$(LIB_SRC))
LIBBERTH := $(OUT)/obj/libberth.a
# program name = folder (initramfs builds out/bin/initramfs-init); berth is
# built from its parts below
PROGS := initramfs-init:initramfs init:init floor-init:bench provision:provision netcfg:netcfg

# objects: -MMD writes each one's header dependencies beside it, and the
# compiler's warnings are kept beside it too (X.o.warn, X.warn for a
# program), shown as they come: the tests read them instead of compiling
# again ("builds without warnings")
KEEP_WARNINGS = 2>$(1).warn || { cat $(1).warn >&2; exit 1; }; cat $(1).warn >&2
$(OUT)/obj/lib/%.o: lib/%.c Makefile $(OUT)/pkgs/.complete
	@mkdir -p $(@D)
	$(CC_MUSL) $(BERTH_CFLAGS) -MMD -MP -c -o $@ $< $(call KEEP_WARNINGS,$@)
$(LIBBERTH): $(LIB_OBJ)
	@rm -f $@
	ar rcD $@ $^

define prog_rule
$(OUT)/bin/$(1): $$(wildcard $(2)/*.c $(2)/*.h lib/*.h) Makefile $(LIBBERTH)
	@mkdir -p $$(@D)
	@mkdir -p $(OUT)/obj
	$$(CC_MUSL) $$(BERTH_CFLAGS) -o $$@ $$(filter %.c,$$^) $(LIBBERTH) $$(BERTH_LDFLAGS) $$(LIBS_$(1)) \
		$$(call KEEP_WARNINGS,$(OUT)/obj/$(1))
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(word 1,$(subst :, ,$(p))),$(word 2,$(subst :, ,$(p))))))
LIBS_berth := -lyaml -lyajl -lnettle -lsodium -lzstd -lz -lcurl -lwolfssl -lm
LIBS_provision := -lyaml -lyajl -lz -lnettle -lsodium -lcurl -lwolfssl -lm

# berth: one static archive per part (berth/parts.mk), each compiled with
# only its own and its declared parts' headers on the include path
include berth/parts.mk
define part_rule
PART_OBJ_$(1) := $$(patsubst %.c,$(OUT)/obj/%.o,$$(wildcard berth/$(1)/*.c))
$(OUT)/obj/berth/$(1)/%.o: berth/$(1)/%.c Makefile $(OUT)/pkgs/.complete
	@mkdir -p $$(@D)
	$$(CC_MUSL) $$(BERTH_CFLAGS) -MMD -MP -Iberth/$(1) $$(foreach u,$$(USES_$(1)),-Iberth/$$(u)) -c -o $$@ $$< \
		$$(call KEEP_WARNINGS,$$@)
$(OUT)/obj/berth-$(1).a: $$(PART_OBJ_$(1))
	@rm -f $$@
	ar rcD $$@ $$^
endef
$(foreach p,$(BERTH_PARTS),$(eval $(call part_rule,$(p))))
PART_ARCHIVES := $(foreach p,$(BERTH_PARTS),$(OUT)/obj/berth-$(p).a)
-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)

# fuzz targets (berth/fuzz, netcfg/fuzz, provision/fuzz): FUZZ_x are target
# x's sources, seeing berth/x (or FUZZ_DIR_x). out/fuzz/x-main runs them over
# files (berth/fuzz/fuzz-main.c, musl, -Werror); out/fuzz/x-libfuzzer is the
# same target under libFuzzer with ASan and UBSan (clang, when installed)
FUZZ_LIBS := -lyaml -lyajl -lnettle -lsodium -lzstd -lz -lcurl -lwolfssl -lm
FUZZ_LIB := lib/err.c lib/stream.c lib/hash.c lib/json.c lib/file.c lib/log.c lib/cmdline.c lib/timeline.c lib/clock.c lib/env.c
FUZZ_image := berth/fuzz/fuzz-image.c lib/tar.c $(addprefix berth/image/,source.c layer.c decompress.c digest.c refs.c store.c)
FUZZ_compose := berth/fuzz/fuzz-compose.c $(addprefix berth/compose/,compose.c json.c) lib/yaml-tree.c
FUZZ_update := berth/fuzz/fuzz-update.c lib/tar.c lib/http.c $(addprefix berth/update/,bundle.c manifest.c sig.c uki.c)
FUZZ_registry := berth/fuzz/fuzz-registry.c $(addprefix berth/registry/,ref.c config.c) lib/yaml-tree.c lib/path.c
FUZZ_events := berth/fuzz/fuzz.c berth/cli/events.c
FUZZ_netcfg := netcfg/fuzz/fuzz.c netcfg/conf.c
FUZZ_DIR_netcfg := netcfg
FUZZ_provision := provision/fuzz/fuzz.c $(filter-out provision/main.c,$(wildcard provision/*.c)) \
	lib/http.c lib/spawn.c lib/status-doc-write.c lib/yaml-tree.c
FUZZ_DIR_provision := provision
FUZZ_state := berth/fuzz/fuzz-state.c lib/kv.c lib/status-doc-read.c lib/status-doc-write.c
FUZZ_DIR_state := lib
FUZZ_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -D_GNU_SOURCE -Ilib -I$(or $(FUZZ_DIR_$*),berth/$*) -Iberth/cli \
	-I$(OUT)/sysroot/usr/include
.SECONDEXPANSION:
$(OUT)/fuzz/%-main: $$(FUZZ_$$*) $(FUZZ_LIB) berth/fuzz/fuzz-main.c $(OUT)/pkgs/.complete
	@mkdir -p $(@D)
	$(CC_MUSL) $(FUZZ_CFLAGS) -Werror -o $@ $(FUZZ_$*) $(FUZZ_LIB) berth/fuzz/fuzz-main.c -static \
		-L$(OUT)/sysroot/usr/lib $(FUZZ_LIBS)
$(OUT)/fuzz/%-libfuzzer: $$(FUZZ_$$*) $(FUZZ_LIB) $(OUT)/pkgs/.complete
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $(FUZZ_$*) $(FUZZ_LIB) \
		$(patsubst -l%,$(OUT)/sysroot/usr/lib/lib%.a,$(filter-out -lm,$(FUZZ_LIBS))) -lm

# the edges: no part calls into a part it does not list
$(OUT)/obj/berth-edges.ok: $(PART_ARCHIVES) $(LIBBERTH) berth/parts.mk scripts/part-edges.sh
	@scripts/part-edges.sh $(OUT)/obj
	@touch $@
$(OUT)/bin/berth: $(PART_ARCHIVES) $(LIBBERTH) $(OUT)/obj/berth-edges.ok
	@mkdir -p $(@D)
	$(CC_MUSL) -o $@ $(PART_ARCHIVES) $(LIBBERTH) $(BERTH_LDFLAGS) $(LIBS_berth)
PROG_BINS := $(foreach p,$(PROGS),$(OUT)/bin/$(word 1,$(subst :, ,$(p)))) $(OUT)/bin/berth

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

check: all progs ## the fast host tests, tests/host, side by side (no VM, no slow integration check)
	@tests/run.sh tests/host

test: test-image bundle demo ## every test: tests/host, tests/host-slow, QEMU boots (what CI runs); ends with "bats: N passed, N failed, N skipped"
	@tests/run.sh tests/host tests/host-slow tests/vm

bench: test-image bundle ## every figure beside its floor: table + out/bench.json (BENCH_RUNS=5, BENCH_PEER=1)
	@scripts/bench.sh

reproduce: image ## build the image twice in two fresh clones (own caches for the image steps) and compare every shipped output
	@scripts/reproduce.sh

clean: ## remove out/ (the cache stays)
	rm -rf $(OUT)

distclean: clean ## remove out/ and the build cache (BERTH_CACHE)
	rm -rf $(BERTH_CACHE)

help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | expand -t 12

# the same targets by their names under the default out/: make out/bin/berth
ifeq ($(OUT),$(CURDIR)/out)
out/%: $(OUT)/% ;
endif
# and what pattern rules made on the way is kept, not deleted as intermediate
.SECONDARY:
