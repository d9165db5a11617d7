#!/usr/bin/env bash
# The SIGKILL crash test's long form: mpowerd killed at random moments
# under load, ROUNDS times (500 by default) on SQLite and on PostgreSQL,
# checking after each restart that every acknowledged write is there and
# the revisions have no gap. CI runs the short form (4 rounds); run this
# before a release or after touching the write path.
#
#   scripts/crash-test.sh [ROUNDS] [BUILD_DIR]
#
# BUILD_DIR defaults to build/test (scripts/test.sh's sanitizer build);
# a Release tree (build/release) runs about three times faster. Replay a
# failing run with MPOWER_CRASH_SEED=<the seed it printed>.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-500}"
build="${2:-build/test}"
cmake --build "$build" --target e2e_crash_test mpowerd mpower
export MPOWER_CRASH_ROUNDS="$rounds"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
exec scripts/postgres.sh run "$build/tests/e2e_crash_test"
