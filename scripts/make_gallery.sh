#!/usr/bin/env bash
# Regenerates the phantom picture gallery in docs/gallery/ (shown in docs/TISSUE_PARAMETERS.md): one axial slice
# per modality of a full-size template-brain case with two glioma-like lesions (necrotic core, enhancing rim,
# oedema), its label map, and the same case's T1 with the procedural brain of earlier versions for comparison.
# Every picture is written by `medsynth convert` (8-bit PNG, window in the file). Needs a release build
# (swift build -c release --product medsynth).
set -euo pipefail
cd "$(dirname "$0")/.."
medsynth="$PWD/.build/release/medsynth"
out="$PWD/docs/gallery"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$out"
"$medsynth" phantom --cases 1 --shape 128 256 256 --seed 1 --lesions 2 --sub-regions --out "$scratch/template.h5" >/dev/null
printf 'brain: procedural\n' > "$scratch/procedural.yaml"
"$medsynth" phantom --cases 1 --shape 128 256 256 --seed 1 --settings "$scratch/procedural.yaml" --out "$scratch/procedural.h5" >/dev/null
slice=87   # through the first lesion's centre (seed 1)
png() {  # file dataset name window...
  "$medsynth" convert "$1" "$out/$3.png" --dataset "/cases/case000/$2" --slice "$slice" --bits 8 "${@:4}" >/dev/null
  echo "wrote docs/gallery/$3.png"
}
png "$scratch/template.h5" CT ct --window -100 150
png "$scratch/template.h5" T1 t1
png "$scratch/template.h5" T2 t2
png "$scratch/template.h5" FLAIR flair
png "$scratch/template.h5" PET pet
png "$scratch/template.h5" label labels --window 0 13
png "$scratch/procedural.h5" T1 t1-procedural
