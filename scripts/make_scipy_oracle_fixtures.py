#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/scipy-oracle/: independent value oracles, computed by scipy.ndimage, for two
MedSynth augmentations (tested by Tests/MedSynthesisTests/ScipyOracleTests.swift).

Run from anywhere:  /work/main/.venv/bin/python scripts/make_scipy_oracle_fixtures.py   (numpy, scipy >= 1.10)
CI does not need Python: the outputs are committed (about 100 KB).

Files: raw little-endian float32 volumes, C order (depth, height, width) = (k, j, i), and cases.json (shape,
spacing, the parameters of every case, the file of every output). Inputs:
  image.bin   uniform random values in [10, 110) (seed 20240611); the minimum is the affine fill value
  labels.bin  blocks of labels 0..4: ((k // 2) + (j // 3) + (i // 4)) % 5

1. Affine (Sources/MedSynthesis/Augmentation/Spatial/AffineAugmentation.swift). The geometry is rebuilt here from
   its documentation, not from its code: voxel o = (i, j, k) sits at p = S(o - c) mm, S = diag(spacing x, y, z),
   c = (extent - 1)/2; the content moves by T(p) = M p + t with M = Rz Ry Rx H Z (rotations in degrees, right-handed,
   H = [[1, sxy, sxz], [0, 1, syz], [0, 0, 1]], Z = diag(scale)); output voxel o reads the input at
   S^-1 T^-1 (S (o - c)) + c = A o + b. scipy.ndimage.affine_transform in array order (k, j, i) takes
   matrix = A reversed in rows and columns, offset = b reversed.
     image:  order=1, mode='grid-constant', cval=min(image)  (trilinear; a sample within one voxel of the grid
             interpolates towards the fill, as MedSynth's border path does)
     labels: order=0, mode='grid-constant', cval=0  (nearest, halves rounded up: floor(x + 0.5), as MedSynth)
   Nearest neighbour is discontinuous at half-integer coordinates, where float32 (MedSynth) and float64 (here)
   coordinates can round differently: `ambiguous_label_voxels` lists the flat indices whose coordinate on any
   axis lies within 1e-3 voxel of a half-integer; the test compares labels exactly everywhere else.

2. Low resolution (Sources/MedSynthesis/Augmentation/Intensity/LowResolutionAugmentation.swift) along one axis with
   factor f: blur with the Gaussian of FWHM f voxels (sigma = f / (2 sqrt(2 ln 2)), truncated at
   radius = max(1, ceil(3 sigma)) taps, normalised; edges replicated: gaussian_filter1d(mode='nearest',
   radius=...)), or no blur with antialias false; sample at positions m f, m = 0 .. floor((n - 1)/f) (linear);
   interpolate back to q = 0 .. n - 1 at u = q / f (linear; beyond the last sample, the last sample).
     When f divides n - 1, the two resamplings are scipy.ndimage.zoom(order=1, grid_mode=False), which maps
     output o to input o (n_in - 1)/(n_out - 1): exactly m f and q / f.
     Otherwise map_coordinates(order=1, mode='nearest') at m f, then at q / f ('nearest' holds the last sample).
"""
import json
import math
import os

import numpy as np
from scipy import ndimage as ndi

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "scipy-oracle")
SHAPE = (9, 13, 17)            # (depth, height, width)
SPACING_XYZ = (0.9, 1.1, 2.0)  # mm along width, height, depth


def write(name, array):
    a = np.ascontiguousarray(array, dtype="<f4")
    assert a.shape == SHAPE, (name, a.shape)
    a.tofile(os.path.join(OUT, name))
    return name


def rotation(deg):
    rx, ry, rz = np.radians(deg)
    Rx = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    Ry = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    Rz = np.array([[math.cos(rz), -math.sin(rz), 0], [math.sin(rz), math.cos(rz), 0], [0, 0, 1]])
    return Rz @ Ry @ Rx


def voxel_map(rotation_deg, scale, shear, translation_mm):
    """A, b (x, y, z order) with source = A o + b, from the documented physical geometry."""
    H = np.array([[1, shear[0], shear[1]], [0, 1, shear[2]], [0, 0, 1]])
    M = rotation(rotation_deg) @ H @ np.diag(scale)
    S = np.diag(SPACING_XYZ)
    Sinv = np.linalg.inv(S)
    Minv = np.linalg.inv(M)
    c = (np.array(SHAPE[::-1]) - 1) / 2.0
    A = Sinv @ Minv @ S
    b = c - A @ c - Sinv @ Minv @ np.asarray(translation_mm, dtype=float)
    return A, b


def affine_case(name, image, labels, rotation_deg, scale, shear, translation_mm):
    A, b = voxel_map(rotation_deg, scale, shear, translation_mm)
    matrix, offset = A[::-1, ::-1], b[::-1]
    fill = float(image.min())
    out_image = ndi.affine_transform(image.astype(np.float64), matrix, offset=offset, order=1,
                                     mode="grid-constant", cval=fill, prefilter=False)
    out_labels = ndi.affine_transform(labels.astype(np.float64), matrix, offset=offset, order=0,
                                      mode="grid-constant", cval=0.0)
    # Source coordinates of every output voxel, (z, y, x) per voxel, in float64.
    k, j, i = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    o = np.stack([k.ravel(), j.ravel(), i.ravel()]).astype(np.float64)
    src = matrix @ o + offset[:, None]
    near_tie = np.abs((src - np.floor(src)) - 0.5) < 1e-3
    ambiguous = np.nonzero(near_tie.any(axis=0))[0]
    return {
        "name": name, "rotationDegrees": list(rotation_deg), "scale": list(scale), "shear": list(shear),
        "translationMM": list(translation_mm), "fill": fill,
        "image": write("affine_%s_image.bin" % name, out_image),
        "labels": write("affine_%s_labels.bin" % name, out_labels),
        "ambiguous_label_voxels": [int(v) for v in ambiguous],
        "outside_fraction": float(np.mean(out_image == fill)),
    }


def lowres_case(name, image, axis, factor, antialias):
    array_axis = {"width": 2, "height": 1, "depth": 0}[axis]
    n = SHAPE[array_axis]
    x = image.astype(np.float64)
    if antialias:
        sigma = factor / (2 * math.sqrt(2 * math.log(2)))
        radius = max(1, math.ceil(3 * sigma))
        x = ndi.gaussian_filter1d(x, sigma, axis=array_axis, mode="nearest", radius=radius)
    samples = int((n - 1) / factor) + 1
    aligned = abs((n - 1) / (samples - 1) - factor) < 1e-12
    if aligned:
        zoom_down = [1.0, 1.0, 1.0]
        zoom_down[array_axis] = samples / n
        down = ndi.zoom(x, zoom_down, order=1, grid_mode=False)
        assert down.shape[array_axis] == samples
        zoom_up = [1.0, 1.0, 1.0]
        zoom_up[array_axis] = n / samples
        out = ndi.zoom(down, zoom_up, order=1, grid_mode=False)
        method = "zoom"
    else:
        def along(values, positions):
            moved = np.moveaxis(values, array_axis, 0)
            grid = np.meshgrid(positions, *[np.arange(s) for s in moved.shape[1:]], indexing="ij")
            result = ndi.map_coordinates(moved, grid, order=1, mode="nearest")
            return np.moveaxis(result, 0, array_axis)
        down = along(x, np.arange(samples) * factor)
        out = along(down, np.arange(n) / factor)
        method = "map_coordinates"
    assert out.shape == SHAPE
    return {"name": name, "axis": axis, "factor": factor, "antialias": antialias, "samples": samples,
            "scipy": method, "image": write("lowres_%s.bin" % name, out)}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    image = rng.uniform(10, 110, size=SHAPE)
    image = image.astype(np.float32)
    k, j, i = np.meshgrid(*[np.arange(n) for n in SHAPE], indexing="ij")
    labels = ((k // 2) + (j // 3) + (i // 4)) % 5
    write("image.bin", image)
    write("labels.bin", labels)
    affine = [
        affine_case("rotation_z", image, labels, (0, 0, 30), (1, 1, 1), (0, 0, 0), (0, 0, 0)),
        affine_case("general", image, labels, (7, -11, 23), (0.9, 1.15, 1.05), (0.1, -0.05, 0.08), (2.5, -1.5, 3.0)),
    ]
    lowres = [
        lowres_case("height_f4", image, "height", 4.0, True),
        lowres_case("width_f2", image, "width", 2.0, True),
        lowres_case("depth_f2_5", image, "depth", 2.5, True),
        lowres_case("width_f3_no_antialias", image, "width", 3.0, False),
    ]
    cases = {
        "shape_dhw": list(SHAPE), "spacing_mm_xyz": list(SPACING_XYZ),
        "image": "image.bin", "labels": "labels.bin",
        "image_min": float(image.min()), "image_max": float(image.max()),
        "affine": affine, "lowResolution": lowres,
        "generator": "scripts/make_scipy_oracle_fixtures.py (numpy %s, scipy %s)" % (np.__version__, __import__("scipy").__version__),
    }
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")
    for c in affine:
        print("affine %s: %d ambiguous label voxels, %.1f %% outside" % (c["name"], len(c["ambiguous_label_voxels"]), 100 * c["outside_fraction"]))
    for c in lowres:
        print("lowResolution %s: %d samples via %s" % (c["name"], c["samples"], c["scipy"]))


if __name__ == "__main__":
    main()
