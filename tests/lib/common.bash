# Loaded by every suite: bats-support, bats-assert and the project's paths.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
OUT=${OUT:-$TOP/out}
BERTH_CACHE=${BERTH_CACHE:-$HOME/.cache/berth}
export TOP OUT BERTH_CACHE
