#!/usr/bin/env bash
# The main job (README quick start): installs what is missing, builds medsynth in release and runs the demo on
# the built-in phantom data. Extra arguments go to `medsynth demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product medsynth
# The HDF5 probe program beside it: HDF5 files are opened in it first, so a libhdf5 crash cannot end the demo.
swift build -c release --product medsynth-hdf5-probe
exec .build/release/medsynth demo "$@"
