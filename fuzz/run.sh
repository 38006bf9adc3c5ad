#!/bin/sh
# run.sh FUZZER SCRATCH SEEDS [ARGS...]: libFuzzer writes new inputs into
# its first directory, so that is a scratch directory in the build tree and
# the seed corpus in the source tree stays read-only.
set -eu
fuzzer=$1 scratch=$2 seeds=$3
shift 3
mkdir -p "$scratch"
exec "$fuzzer" "$@" "$scratch" "$seeds"
