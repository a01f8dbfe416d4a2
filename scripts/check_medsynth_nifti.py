#!/usr/bin/env python3
"""Checks NIfTI files written by MedSynth with nibabel (a developer tool; CI does not run it).

    python3 scripts/check_medsynth_nifti.py out/ct.nii.gz [more files...]

For each file it prints what nibabel sees (format, on-disk dtype, shape, transform codes, affine, descrip,
value range) and checks what MedSynth promises in NIfTIFile.write:
  - the header passes nibabel's own checks;
  - sform_code == qform_code == 1 (scanner), and img.affine equals the sform;
  - the qform agrees with the sform when the affine has no shear (a qform cannot hold shear);
  - xyzt_units is mm and pixdim[1:4] are the affine's column lengths;
  - descrip carries the tag "MedSynth <version> modality=... unit=...".
Exit status 1 when any check fails.
"""
import sys

import nibabel as nib
import numpy as np


def check(path):
    img = nib.load(path)
    hdr = img.header
    data = img.get_fdata()
    failures = []
    print(f"{path}: {type(img).__name__}, dtype {hdr.get_data_dtype()}, shape {data.shape}")
    print(f"  sform_code {int(hdr['sform_code'])}, qform_code {int(hdr['qform_code'])}, "
          f"xyzt_units {hdr.get_xyzt_units()}, descrip {hdr['descrip'].item().decode(errors='replace')!r}")
    print("  affine:\n   " + np.array2string(img.affine, precision=6, suppress_small=True).replace("\n", "\n   "))
    finite = data[np.isfinite(data)]
    if finite.size:
        print(f"  values: min {finite.min():.6g}, max {finite.max():.6g}, mean {finite.mean():.6g}, "
              f"non-finite {data.size - finite.size}")

    try:
        hdr.check_fix(error_level=40)
    except Exception as e:  # nibabel raises HeaderDataError for serious problems
        failures.append(f"nibabel header check: {e}")
    if int(hdr["sform_code"]) != 1 or int(hdr["qform_code"]) != 1:
        failures.append("sform_code and qform_code should both be 1 (scanner)")
    sform, qform = hdr.get_sform(), hdr.get_qform()
    if not np.allclose(img.affine, sform):
        failures.append("img.affine is not the sform")
    qdiff = np.abs(qform - sform).max()
    print(f"  max |qform - sform| = {qdiff:.3g}")
    rs = sform[:3, :3] / np.sqrt((sform[:3, :3] ** 2).sum(axis=0))
    sheared = np.abs(rs.T @ rs - np.eye(3)).max() > 1e-5
    if sheared:
        print("  note: the affine has shear, which a qform cannot hold; readers using the sform are exact")
    elif qdiff > 1e-4 * max(1.0, np.abs(sform).max()):
        failures.append(f"qform differs from sform by {qdiff:.3g}")
    if hdr.get_xyzt_units()[0] != "mm":
        failures.append("spatial unit is not mm")
    lengths = np.sqrt((sform[:3, :3] ** 2).sum(axis=0))
    if not np.allclose(hdr["pixdim"][1:4], lengths, rtol=1e-5):
        failures.append(f"pixdim {hdr['pixdim'][1:4]} != column lengths {lengths}")
    descrip = hdr["descrip"].item().decode(errors="replace")
    if not descrip.startswith("MedSynth ") or "modality=" not in descrip:
        failures.append("descrip has no MedSynth tag")
    for f in failures:
        print(f"  FAIL: {f}")
    return not failures


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    ok = all([check(p) for p in sys.argv[1:]])
    sys.exit(0 if ok else 1)
