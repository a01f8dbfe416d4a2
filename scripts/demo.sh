#!/usr/bin/env bash
# The main job (README quick start): installs what is missing, builds medsynth in release and runs the demo on
# the built-in phantom data. Extra arguments go to `medsynth demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product medsynth
exec .build/release/medsynth demo "$@"
