#!/usr/bin/env bash
# Regenerates the h5py checks of MedSynth datasets committed under Tests/Fixtures/dataset/ (docs/DATASET_FORMAT.md):
#   h5py_check_output.txt          medsynth phantom (2 cases with lesions and sub-regions)
#   h5py_check_output_augment.txt  medsynth augment of that dataset (default pipeline, 3 copies per case): the
#                                  lesion records, measured again after the transforms, are checked against the
#                                  augmented label maps
# Needs a release build (.build/release/medsynth) and Python with h5py and numpy (PYTHON, default python3). The CLI
# tests (PhantomCommandTests) rebuild both datasets and compare their listings, label histograms and per-volume
# statistics (## values) with these files.
set -euo pipefail
cd "$(dirname "$0")/.."
medsynth="$PWD/.build/release/medsynth"
out="$PWD/Tests/Fixtures/dataset"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
"$medsynth" phantom --cases 2 --shape 32 64 64 --seed 11 --lesions 2 --sub-regions --lesion-radius 10 --out dataset.h5
"$medsynth" augment --in dataset.h5 --config "$OLDPWD/Configs/augment-default.yaml" --per-case 3 --seed 2 --out augmented.h5
"${PYTHON:-python3}" "$OLDPWD/scripts/check_dataset_h5py.py" dataset.h5 > "$out/h5py_check_output.txt"
"${PYTHON:-python3}" "$OLDPWD/scripts/check_dataset_h5py.py" augmented.h5 > "$out/h5py_check_output_augment.txt"
echo "wrote $out/h5py_check_output.txt and $out/h5py_check_output_augment.txt"
