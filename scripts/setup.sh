#!/usr/bin/env bash
# Installs the Debian packages MedSynth builds against, if any is missing. Idempotent and non-interactive;
# uses sudo only when not root. Needs only Debian 12 with the Swift toolchain on PATH.
set -euo pipefail

packages=(
  pkg-config
  libpng-dev            # PNG codec (libpng 1.6)
  libhdf5-dev           # HDF5 1.10 serial: datasets, checkpoints
  libopenblas-dev       # cblas_sgemm for the tensor engine
  libdnnl-dev           # oneDNN 2.6: the tensor engine's convolutions
  libnifti2-dev libniftiio-dev libznz-dev   # NIfTI-1/-2 (nifti2_io)
  libfftw3-dev          # FFTs for k-space augmentation
  libgdcm-dev           # DICOM (GDCM 3.0: parsing and every transfer syntax's decoder)
  zlib1g-dev            # deflate
  libssl-dev            # HMAC-SHA256 (keyed case ids of medsynth import)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: the Swift toolchain (swift) is not on PATH; install Swift 6 first (https://swift.org/install)" >&2
  exit 1
fi
