#!/usr/bin/env python3
"""Builds MedSynth's vendored brain template from the MNI ICBM152 2009a nonlinear symmetric maps.

Source: the grey-matter and white-matter probability maps and the brain-extracted T1 average that nilearn ships
(nilearn/datasets/data/mni_icbm152_{gm,wm,t1}_tal_nlin_sym_09a_converted.nii.gz, 1 mm, 197 x 233 x 189, uint8),
taken from the nilearn wheel on PyPI (pinned below, checked by SHA-256). They are redistributed under the McGill
notice in NOTICE (written next to the maps).

Output (Sources/MedSynthesis/Resources/BrainTemplate/, committed; MedSynth never downloads at run time):
  cortical_grey_matter.nii.gz  uint8 with scl_slope 1/63: probability of grey matter outside the deep nuclei
  deep_grey_matter.nii.gz      the same: grey matter of thalamus, caudate, putamen, pallidum
  white_matter.nii.gz          the same: white matter
  ventricles.nii.gz            the same: the CSF of the lateral and third ventricles
  t1.nii.gz                    uint8 with scl_slope 4: the template's own T1 average (0-252; used only to measure
                               the phantom's realism)
      -- all on one 1 mm grid: the brain's bounding box plus 2 mm, in MNI millimetres (RAS);
  envelope_distance.nii.gz     int16 with scl_slope 0.1: signed distance (mm, negative inside) to the brain
                               envelope (the brain mask closed over the sulci and smoothed: the inner surface of
                               the skull's CSF layer), on a 3 mm grid reaching 36 mm beyond the brain.
Everything the brain mask holds that is neither grey nor white matter is CSF (MedSynth takes it as the remainder).

Deep grey matter and ventricles are not separate maps in the source: they are cut out here by geometry, documented
in docs/TISSUE_PARAMETERS.md (deep nuclei: grey matter inside a box around the basal ganglia and thalami that is
more than 14 mm inside the envelope; ventricles: the large connected CSF regions near the centre).

Usage: python3 scripts/make_brain_template.py [--wheel nilearn-0.14.1-py3-none-any.whl] [--out DIR]
Needs numpy, scipy and nibabel (e.g. .venv/bin/pip install numpy scipy nibabel); downloads the wheel with pip
when --wheel is not given.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

import nibabel as nib
import numpy as np
from scipy import ndimage

WHEEL = "nilearn-0.14.1-py3-none-any.whl"
WHEEL_SHA256 = "725206484e9fb3f6691f9c2d20204a068759d5072f12055324702ee0cb2bbe8a"
MAPS = {
    "gm": "nilearn/datasets/data/mni_icbm152_gm_tal_nlin_sym_09a_converted.nii.gz",
    "wm": "nilearn/datasets/data/mni_icbm152_wm_tal_nlin_sym_09a_converted.nii.gz",
    "t1": "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
}
NOTICE = """The brain template under this folder is derived from the MNI ICBM152 2009a nonlinear symmetric
average (grey-matter and white-matter probability maps and the T1 average), as shipped by nilearn 0.14.1
(nilearn/datasets/data/mni_icbm152_*_tal_nlin_sym_09a_converted.nii.gz). MedSynth cropped and re-encoded them and
derived the deep-grey-matter, ventricle and envelope-distance maps (scripts/make_brain_template.py).

Copyright (C) 1993-2004 Louis Collins, McConnell Brain Imaging Centre, Montreal Neurological Institute, McGill
University. Permission to use, copy, modify, and distribute this software and its documentation for any purpose
and without fee is hereby granted, provided that the above copyright notice appear in all copies. The authors and
McGill University make no representations about the suitability of this software for any purpose. It is provided
"as is" without express or implied warranty. The authors are not responsible for any data loss, equipment damage,
property loss, or injury to subjects or patients resulting from the use or misuse of this software package.

References:
- VS Fonov, AC Evans, K Botteron, CR Almli, RC McKinstry, DL Collins and BDCG, Unbiased average age-appropriate
  atlases for pediatric studies, NeuroImage 54(1), 2011, doi:10.1016/j.neuroimage.2010.07.033
- VS Fonov, AC Evans, RC McKinstry, CR Almli and DL Collins, Unbiased nonlinear average age-appropriate brain
  templates from birth to adulthood, NeuroImage 47 Suppl 1, 2009, S102, doi:10.1016/S1053-8119(09)70884-5
- DL Collins, AP Zijdenbos, WFC Baare and AC Evans, ANIMAL+INSECT: Improved Cortical Structure Segmentation,
  IPMI 1999, LNCS 1613, 210-223
"""

# Deep-nuclei region (MNI mm): basal ganglia and thalami lie inside; the insula (|x| > 33) and the cingulate
# cortex (above the corpus callosum, z > 20 near the midline) do not.
DEEP_BOX = dict(x=(-32.0, 32.0), y=(-38.0, 28.0), z=(-12.0, 22.0))
DEEP_MIN_DEPTH_MM = 14.0
# Ventricles: CSF > 0.5 at least 8 mm inside the envelope, connected components of >= 300 voxels whose centroid
# lies in this central box.
VENTRICLE_BOX = dict(x=(-30.0, 30.0), y=(-50.0, 30.0), z=(-10.0, 35.0))
ENVELOPE_MARGIN_MM = 36
ENVELOPE_SPACING_MM = 3
PROBABILITY_LEVELS = 63


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_maps(wheel):
    out = {}
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        for key, member in MAPS.items():
            path = z.extract(member, tmp)
            img = nib.load(path)
            out[key] = (np.asarray(img.dataobj).astype(np.float32), img.affine.copy())
    return out


def mni_coordinates(shape, affine):
    i, j, k = np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij")
    return (affine[0, 0] * i + affine[0, 3], affine[1, 1] * j + affine[1, 3], affine[2, 2] * k + affine[2, 3])


def in_box(x, y, z, box):
    return ((x >= box["x"][0]) & (x <= box["x"][1]) & (y >= box["y"][0]) & (y <= box["y"][1])
            & (z >= box["z"][0]) & (z <= box["z"][1]))


def save(array, affine, path, dtype, slope=None):
    img = nib.Nifti1Image(array.astype(dtype), affine)
    img.header.set_xyzt_units("mm")
    if slope is not None:
        img.header.set_slope_inter(slope, 0.0)
    img.header["descrip"] = b"MedSynth brain template (ICBM152 2009a sym)"
    nib.save(img, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wheel", help="a downloaded " + WHEEL)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Sources", "MedSynthesis",
                                                  "Resources", "BrainTemplate"))
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel
        if wheel is None:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
                            "nilearn==0.14.1"], check=True)
            wheel = os.path.join(tmp, WHEEL)
        digest = sha256(wheel)
        if digest != WHEEL_SHA256:
            sys.exit(f"{wheel}: SHA-256 is {digest}; expected {WHEEL_SHA256} ({WHEEL} from PyPI)")
        maps = load_maps(wheel)

    gm, affine = maps["gm"]
    wm, _ = maps["wm"]
    t1, _ = maps["t1"]
    assert np.allclose(np.diag(affine)[:3], 1.0), affine
    gm /= 255.0
    wm /= 255.0
    total = gm + wm
    over = total > 1
    gm[over] /= total[over]
    wm[over] /= total[over]
    brain = t1 > 0
    x, y, z = mni_coordinates(gm.shape, affine)

    # Envelope: the brain mask closed over the sulci (ball of radius 6 mm), holes filled, smoothed, on a grid
    # padded so the distance reaches ENVELOPE_MARGIN_MM beyond the brain on every side (the source stops at
    # z = -72 mm, below the cerebellum, so the envelope closes there).
    pad = ENVELOPE_MARGIN_MM + 8
    padded = np.pad(brain, pad)
    ball = np.linalg.norm(np.mgrid[-6:7, -6:7, -6:7], axis=0) <= 6
    closed = ndimage.binary_closing(padded, structure=ball)
    closed = ndimage.binary_fill_holes(closed)
    smooth = ndimage.gaussian_filter(closed.astype(np.float32), 2.0) > 0.5
    inside = ndimage.distance_transform_edt(smooth)
    outside = ndimage.distance_transform_edt(~smooth)
    signed = np.where(smooth, -(inside - 0.5), outside - 0.5).astype(np.float32)
    padded_affine = affine.copy()
    padded_affine[:3, 3] -= pad

    # Depth below the envelope at the source grid (for the deep-nuclei and ventricle cuts).
    depth = -signed[pad:-pad, pad:-pad, pad:-pad]

    deep_region = in_box(x, y, z, DEEP_BOX) & (depth > DEEP_MIN_DEPTH_MM)
    deep_region = ndimage.gaussian_filter(deep_region.astype(np.float32), 1.0)
    deep = gm * deep_region
    cortical = gm - deep

    csf = np.clip(brain.astype(np.float32) - gm - wm, 0, 1)
    candidates = (csf > 0.5) & (depth > 8)
    labels, count = ndimage.label(candidates)
    keep = np.zeros_like(candidates)
    for n, sl in enumerate(ndimage.find_objects(labels), start=1):
        part = labels[sl] == n
        size = int(part.sum())
        if size < 300:
            continue
        cx, cy, cz = (float(v[sl][part].mean()) for v in (x, y, z))
        if in_box(np.float32(cx), np.float32(cy), np.float32(cz), VENTRICLE_BOX):
            keep[sl] |= part
            print(f"ventricle component {n}: {size} voxels, centroid ({cx:.0f}, {cy:.0f}, {cz:.0f}) mm")
    # Grow into the partial-volume rim (CSF > 0.1) by 2 voxels, then take the CSF fraction there.
    grown = keep
    for _ in range(2):
        grown = ndimage.binary_dilation(grown) & (csf > 0.1)
    ventricles = csf * grown

    # Crop the 1 mm maps to the brain's bounding box plus 2 mm.
    idx = np.argwhere(brain)
    lo = np.maximum(idx.min(0) - 2, 0)
    hi = np.minimum(idx.max(0) + 3, brain.shape)
    crop = tuple(slice(a, b) for a, b in zip(lo, hi))
    crop_affine = affine.copy()
    crop_affine[:3, 3] += lo

    os.makedirs(args.out, exist_ok=True)
    # Probabilities in 64 levels (a step of 1.6 %, below the MR noise of a rendered case), T1 in 64 levels: the
    # files are a third smaller than at 256 levels.
    for name, arr in [("cortical_grey_matter", cortical), ("deep_grey_matter", deep), ("white_matter", wm),
                      ("ventricles", ventricles)]:
        save(np.round(np.clip(arr[crop], 0, 1) * PROBABILITY_LEVELS), crop_affine,
             os.path.join(args.out, name + ".nii.gz"), np.uint8, slope=1.0 / PROBABILITY_LEVELS)
    save(np.round(t1[crop] / 4), crop_affine, os.path.join(args.out, "t1.nii.gz"), np.uint8, slope=4.0)

    # Envelope distance on a 2 mm grid over the brain box plus the margin.
    plo = lo + pad - ENVELOPE_MARGIN_MM
    phi = hi + pad + ENVELOPE_MARGIN_MM
    s = ENVELOPE_SPACING_MM
    coarse = signed[plo[0]:phi[0]:s, plo[1]:phi[1]:s, plo[2]:phi[2]:s]
    coarse_affine = padded_affine.copy()
    coarse_affine[:3, :3] *= s
    coarse_affine[:3, 3] = padded_affine[:3, 3] + plo
    save(np.clip(np.round(coarse * 10), -32000, 32000), coarse_affine,
         os.path.join(args.out, "envelope_distance.nii.gz"), np.int16, slope=0.1)

    with open(os.path.join(args.out, "NOTICE"), "w") as f:
        f.write(NOTICE)
    print(f"grid {tuple(int(b - a) for a, b in zip(lo, hi))} at 1 mm from {crop_affine[:3, 3]} mm; envelope "
          f"{coarse.shape} at {s} mm from {coarse_affine[:3, 3]} mm")
    print(f"deep grey {deep.sum():.0f} ml-voxels, cortical grey {cortical.sum():.0f}, white {wm.sum():.0f}, "
          f"ventricles {ventricles.sum():.0f}, CSF {csf.sum():.0f}")


if __name__ == "__main__":
    main()
