"""Makes the `medsynth import` fixtures under Tests/Fixtures/import (run: .venv/bin/python scripts/make_import_fixtures.py).

- nifti/case01/label.nii.gz: a uint8 label map on the grid of Tests/Fixtures/dicom/axial-ct (its affine from
  expected.json), label 1 in a box.
- nifti/case01/T1ce.nii.gz: a float32 image on a coarser grid (twice the spacing in-plane, the same slices)
  over the same region, whose value is a linear function of world position, v = 2x - 3y + 5z + 100 (RAS mm):
  trilinear resampling onto the CT grid reproduces it exactly inside the coarse grid's voxel centres.
- nifti-cohort/{case}/{modality}.nii.gz: two cases (T1 and label) for the --pattern form.
- cohort.csv: the manifest the tests and docs/REAL_DATA.md use (DICOM rows point into ../dicom).
Written by nibabel, so the reader is checked against another implementation's NIfTI.
"""
import json
import os

import nibabel as nib
import numpy as np

root = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")
out = os.path.join(root, "import")
expected = json.load(open(os.path.join(root, "dicom", "expected.json")))
ct = expected["axial-ct"]
depth, height, width = ct["shape"]
affine = np.array(ct["affine"], dtype=np.float64).reshape(4, 4)


def save(array_kji, affine, path, dtype):
    """array_kji is (k, j, i) like MedSynth; nibabel wants (i, j, k)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    image = nib.Nifti1Image(np.ascontiguousarray(array_kji.transpose(2, 1, 0)).astype(dtype), affine)
    image.set_qform(affine, code=1)
    image.set_sform(affine, code=1)
    image.header["descrip"] = b""
    nib.save(image, path)


# Label map on the CT grid.
label = np.zeros((depth, height, width), dtype=np.uint8)
label[1:5, 6:14, 8:18] = 1
label[2:4, 8:12, 10:14] = 2
save(label, affine, os.path.join(out, "nifti", "case01", "label.nii.gz"), np.uint8)

# Coarse T1ce grid: spacing doubled along i and j, same k; origin at the CT's first voxel.
coarse = affine.copy()
coarse[:3, 0] *= 2
coarse[:3, 1] *= 2
cw, ch = width // 2, height // 2
k, j, i = np.meshgrid(np.arange(depth), np.arange(ch), np.arange(cw), indexing="ij")
world = coarse @ np.stack([i.ravel(), j.ravel(), k.ravel(), np.ones(i.size)])
values = (2 * world[0] - 3 * world[1] + 5 * world[2] + 100).reshape(depth, ch, cw)
save(values, coarse, os.path.join(out, "nifti", "case01", "T1ce.nii.gz"), np.float32)

# Pattern-form cohort: two cases of T1 + label on a 1 mm grid.
rng = np.random.default_rng(7)
grid = np.diag([1.0, 1.0, 1.5, 1.0])
for n, case in enumerate(["subj-a", "subj-b"]):
    t1 = rng.normal(100 + 10 * n, 5, size=(4, 8, 10)).astype(np.float32)
    lab = (t1 > 100 + 10 * n).astype(np.uint8)
    save(t1, grid, os.path.join(out, "nifti-cohort", case, "T1.nii.gz"), np.float32)
    save(lab, grid, os.path.join(out, "nifti-cohort", case, "label.nii.gz"), np.uint8)

with open(os.path.join(out, "cohort.csv"), "w") as f:
    f.write("case,modality,path,series\n")
    f.write("# one patient: CT from DICOM, a label map and a contrast-enhanced T1 on another grid from NIfTI\n")
    f.write("case01,CT,../dicom/axial-ct,\n")
    f.write("case01,label,nifti/case01/label.nii.gz,\n")
    f.write("case01,T1ce,nifti/case01/T1ce.nii.gz,\n")
    f.write("# no case name: the id is a keyed hash of the StudyInstanceUID\n")
    f.write(",PET,../dicom/pet-suv,\n")
    f.write("case03,CT,../dicom/two-series,2\n")
    f.write("case04,T2,../dicom/oblique-mr,\n")
print("wrote", out)
