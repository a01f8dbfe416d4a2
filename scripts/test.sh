#!/usr/bin/env bash
# The test command (README quick start; .ci/run runs exactly this): installs what is missing, builds in release
# (numeric code is too slow in debug) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The CLI tests run the medsynth executable, so build it before the tests.
swift build -c release --product medsynth
swift build -c release --product medsynth-hdf5-probe
swift test -c release -Xswiftc -enable-testing "$@"
