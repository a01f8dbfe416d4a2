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

# One picture per lesion type: a full-size case with one lesion of that type; the panels are CT, T1, T2, FLAIR,
# PET and the label map, cropped around the lesion's centroid (read from the case's lesion record with h5py) and
# each windowed to its own 1st–99.5th percentiles in the crop. Needs Python with numpy, h5py and Pillow
# (PYTHON, default python3).
for type in glioma metastasis haemorrhage infarct plaque; do
  "$medsynth" phantom --cases 1 --shape 128 256 256 --seed 2 --lesions 1 --lesion-type "$type" --out "$scratch/$type.h5" >/dev/null
  "${PYTHON:-python3}" - "$scratch/$type.h5" "$out/lesion-$type.png" <<'PY'
import json, sys
import h5py, numpy as np
from PIL import Image
case = h5py.File(sys.argv[1], "r")["cases/case000"]
lesions = json.loads(case.attrs["lesions"])
if not lesions:
    sys.exit(f"{sys.argv[1]}: no lesion was inserted")
k, j, i = (int(round(v)) for v in lesions[0]["centroidVoxel"])
half = 48
panels = []
for name in ["CT", "T1", "T2", "FLAIR", "PET", "label"]:
    volume = case[name][()]
    crop = np.pad(volume[k], half)[j:j + 2 * half, i:i + 2 * half].astype(np.float64)
    if name == "label":
        lo, hi = 0.0, 13.0
    elif name == "CT":
        lo, hi = -20.0, 100.0
    else:
        lo, hi = np.percentile(crop, 1), np.percentile(crop, 99.5)
    pixels = np.clip((crop - lo) / max(hi - lo, 1e-9), 0, 1) * 255
    panels.append(np.kron(pixels[::-1].astype(np.uint8), np.ones((2, 2), np.uint8)))
Image.fromarray(np.concatenate(panels, axis=1)).save(sys.argv[2], optimize=True)
print(f"wrote docs/gallery/{sys.argv[2].split('/')[-1]} (lesion {lesions[0]['volumeMM3']:.0f} mm³, slice {k})")
PY
done
