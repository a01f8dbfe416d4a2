#!/usr/bin/env bash
# Lesion-aware translation (issue 20, item 6), BENCHMARKS.md: CT -> FLAIR on the built-in phantom with up to 3
# lesions per case, the same cases, split and steps for three translators —
#   lesion-pix2pix       pix2pix (Configs/pix2pix-ct2t1.yaml with FLAIR as B), plain L1 (lesionL1Weight 0)
#   lesion-pix2pix-w20   the same with the lesion-weighted L1, network.lesionL1Weight 20
#   lesion-regression    Configs/regression-ct2flair.yaml: the same U-Net, lesion-weighted L1 (w 20) alone
# and two regression probes (a brain CT window; w 100),
# then scripts/lesion_contrast.py: held-out PSNR / SSIM / MAE and the lesion / white-matter contrast of the
# translated FLAIR against the real one. Every command runs under `nice -n 19`. A finished run is kept, an
# interrupted one resumed, so the script can be run again.
#
#   scripts/lesion_translation_benchmark.sh            # STEPS=2000 by default; MEDSYNTH=path to the binary
set -euo pipefail
cd "$(dirname "$0")/.."
MEDSYNTH=${MEDSYNTH:-.build/release/medsynth}
STEPS=${STEPS:-2000}
SAME=(--steps "$STEPS" --set training.validateEvery=500 --set training.checkpointEvery=0
      --set data.slices.validationSlices=0 --set data.phantom.lesions=3)
FLAIR=(--set data.slices.modalityB=FLAIR)

train() {
    local name=$1; shift
    local folder="Outputs/$name"
    if [ -f "$folder/summary.json" ] && python3 -c "import json,sys; s=json.load(open('$folder/summary.json')); sys.exit(0 if s['steps'] == s['totalSteps'] else 1)"; then
        echo "$name: finished, kept"
    elif [ -f "$folder/checkpoints/latest.h5" ]; then
        nice -n 19 "$MEDSYNTH" train --name "$name" --resume "$@"
    else
        nice -n 19 "$MEDSYNTH" train --name "$name" "$@"
    fi
}

train lesion-pix2pix --config Configs/pix2pix-ct2t1.yaml "${FLAIR[@]}" "${SAME[@]}"
train lesion-pix2pix-w20 --config Configs/pix2pix-ct2t1.yaml "${FLAIR[@]}" --set network.lesionL1Weight=20 "${SAME[@]}"
train lesion-regression --config Configs/regression-ct2flair.yaml "${SAME[@]}"
# Two probes of what limits the held-out lesions: the CT input window (a brain window, -100...300 HU, instead of
# -1024...2000, so the lesions' ~-6 HU is 7.6x larger in the normalised input), and a 5x larger weight.
train lesion-regression-brainwin --config Configs/regression-ct2flair.yaml "${SAME[@]}" \
    --set data.slices.normalizationA.method=ctWindow --set data.slices.normalizationA.lowerHU=-100 \
    --set data.slices.normalizationA.upperHU=300
train lesion-regression-w100 --config Configs/regression-ct2flair.yaml "${SAME[@]}" --set network.lesionL1Weight=100
python3 scripts/lesion_contrast.py --medsynth "$MEDSYNTH" Outputs/lesion-pix2pix Outputs/lesion-pix2pix-w20 \
    Outputs/lesion-regression Outputs/lesion-regression-brainwin Outputs/lesion-regression-w100
