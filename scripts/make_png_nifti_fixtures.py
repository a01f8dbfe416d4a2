#!/usr/bin/env python3
"""Writes the PNG and NIfTI interop fixtures and the bad-input files that MedIO's tests read.

Run from the repository root:  python3 scripts/make_png_nifti_fixtures.py
Needs numpy, nibabel and Pillow (CI does not: the files it writes are committed).

Every fixture's voxel values follow a formula of the voxel index, so the Swift tests can check every voxel.
Indices: i = column (NIfTI axis 0, fastest), j = row (axis 1), k = slice (axis 2). Swift's Volume is
[k][j][i], so MedSynth voxel (k, j, i) == nibabel's get_fdata()[i, j, k].

What is written (and the formula the tests re-implement):
  io/nifti/ct_int16_slope.nii.gz   int16 raw r = i + 10j + 100k - 200, scl_slope 2, scl_inter -1024:
                                   physical value 2r - 1024. shape (x6, y5, z4). sform/qform code 1,
                                   diagonal spacing (0.8, 0.8, 2.5), origin (-10, 20, -30). descrip has no tag.
  io/nifti/labels_uint8.nii        uint8 (i + 2j + 3k) % 5, shape (4, 3, 2), identity affine.
  io/nifti/oblique_float32.nii.gz  float32 0.5i - 0.25j + 1.5k + 0.125, shape (5, 4, 3); affine = rotation by
                                   30 deg about z and 20 deg about x, spacing (1.2, 0.9, 3.0), origin (5, -7, 11).
  io/nifti/nifti2_float64.nii      NIfTI-2, float64 i*j - k + 0.5, shape (3, 4, 5), diagonal affine.
  io/nifti/nifti2_int16.nii.gz     NIfTI-2, int16 i - 2j + 3k - 4, shape (3, 4, 5), gzip.
  io/nifti/dtype_<t>.nii           one per extra datatype (int8, uint16, int32, uint32): value
                                   (i + 3j + 5k) * m + b with (m, b) per type in DTYPE_FORMULA; shape (3, 2, 2).
  io/nifti/bigendian_int16.nii     big-endian int16, value 100i - 7j + 3k, shape (4, 3, 2).
  io/nifti/image_2d.nii            dim[0] = 2, float32 i + 10j, shape (4, 3): a 1-slice volume.
  io/nifti/singleton_4d.nii        dim = (3, 2, 2, 1), float32 i + 2j + 4k: a 3D volume.
  io/nifti/qform_only.nii          sform_code 0, qform_code 1 with a rotation: affine from the qform.
                                   value i + j + k (float32), shape (3, 3, 3).
  io/nifti/pixdim_only.nii         sform_code 0, qform_code 0, pixdim (2, 3, 4): MedSynth's affine is
                                   diag(2, 3, 4) with origin 0 (nibabel's differs: it centres and flips x).
  io/png/gray8.png                 8-bit gray, 7 wide x 5 high, pixel (3i + 17j) % 256 (i column, j row).
  io/png/gray16.png                16-bit gray, 6 x 4, pixel 1000j + 37i + 5.
  io/png/gray8_phys.png            as gray8.png, with pHYs 10000 px/m along x and 5000 px/m along y
                                   (spacing 0.1 mm x 0.2 mm).
  io/png/rgb.png                   RGB 4 x 3, (r, g, b) = (60i, 80j, 20i + 40j).
  io/png/gray_alpha.png            gray+alpha 4 x 3, gray (3i + 17j) % 256, alpha 128: alpha stripped.
  io/png/palette.png               palette 4 x 3, gray levels (3i + 17j) % 256 stored as an RGB palette.
  io/png/gray1.png                 1-bit gray 8 x 2, bit (i + j) % 2 (expands to 0 / 255).
  io/png/medsynth_ct16.png         16-bit gray 5 x 3 with MedSynth's text chunk: window [-1024, 3071] HU,
                                   modality CT, spacing_mm [0.7, 0.8]; pixel 1000j + 100i, so the value is
                                   -1024 + pixel / 65535 * 4095.
  bad-input/*                      files every reader must reject with a MedSynthError (see BAD_INPUTS).
Expected summaries (shape, affine as nibabel computes it, min/max/mean, samples) go to
io/nifti/expected.json and io/png/expected.json.
"""
import gzip
import json
import math
import os
import struct
import zlib

import nibabel as nib
import numpy as np
from PIL import Image, PngImagePlugin

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
NIFTI = os.path.join(ROOT, "io", "nifti")
PNG = os.path.join(ROOT, "io", "png")
BAD = os.path.join(ROOT, "bad-input")

DTYPE_FORMULA = {  # name: (numpy dtype, slope m, intercept b) for value (i + 3j + 5k) * m + b
    "int8": (np.int8, -3, 20),
    "uint16": (np.uint16, 1000, 7),
    "int32": (np.int32, -100000, 3),
    "uint32": (np.uint32, 200000000, 1),
}


def grid(shape):
    """i, j, k index arrays for a NIfTI (x, y, z) shape."""
    return np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")


def summary(values, affine, shape_xyz, extra=None):
    v = np.asarray(values, dtype=np.float64)
    x, y, z = (list(shape_xyz) + [1, 1])[:3]
    out = {
        "shape_dhw": [int(z), int(y), int(x)],
        "affine": [float(a) for a in np.asarray(affine, dtype=np.float64).reshape(-1)],
        "min": float(v.min()), "max": float(v.max()), "mean": float(v.mean()),
    }
    if extra:
        out.update(extra)
    return out


def nifti_fixtures():
    os.makedirs(NIFTI, exist_ok=True)
    expected = {}

    def save(img, name, values, note=None):
        path = os.path.join(NIFTI, name)
        nib.save(img, path)
        back = nib.load(path)
        data = back.get_fdata()
        assert np.allclose(data, values), name
        expected[name] = summary(data, back.affine, data.shape[:3], {"datatype": int(back.header["datatype"])})
        if note:
            expected[name]["note"] = note

    # int16 CT with slope and intercept.
    i, j, k = grid((6, 5, 4))
    raw = (i + 10 * j + 100 * k - 200).astype(np.int16)
    aff = np.diag([0.8, 0.8, 2.5, 1.0]); aff[:3, 3] = [-10, 20, -30]
    # nibabel would rescale the array on save: write header + raw bytes so the stored ints are exactly `raw`.
    hdr = nib.Nifti1Header()
    hdr.set_data_shape(raw.shape)
    hdr.set_data_dtype(np.int16)
    hdr.set_sform(aff, code=1); hdr.set_qform(aff, code=1)
    hdr.set_slope_inter(2.0, -1024.0)
    hdr.set_xyzt_units("mm")
    path = os.path.join(NIFTI, "ct_int16_slope.nii.gz")
    with gzip.GzipFile(path, "wb", mtime=0) as f:
        hdr.set_data_offset(352)
        f.write(hdr.binaryblock)
        f.write(b"\0\0\0\0")
        f.write(raw.astype("<i2").tobytes(order="F"))
    back = nib.load(path)
    assert np.array_equal(np.asarray(back.dataobj.get_unscaled()), raw)
    assert np.allclose(back.get_fdata(), 2.0 * raw - 1024.0)
    expected["ct_int16_slope.nii.gz"] = summary(back.get_fdata(), back.affine, (6, 5, 4), {"datatype": 4})

    i, j, k = grid((4, 3, 2))
    lab = ((i + 2 * j + 3 * k) % 5).astype(np.uint8)
    save(nib.Nifti1Image(lab, np.eye(4)), "labels_uint8.nii", lab)

    # Oblique float32.
    i, j, k = grid((5, 4, 3))
    val = (0.5 * i - 0.25 * j + 1.5 * k + 0.125).astype(np.float32)
    a, b = math.radians(30), math.radians(20)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    aff = np.eye(4); aff[:3, :3] = rz @ rx @ np.diag([1.2, 0.9, 3.0]); aff[:3, 3] = [5, -7, 11]
    img = nib.Nifti1Image(val, aff); img.set_sform(aff, code=1); img.set_qform(aff, code=1)
    save(img, "oblique_float32.nii.gz", val)

    i, j, k = grid((3, 4, 5))
    val = (i * j - k + 0.5).astype(np.float64)
    aff = np.diag([1.5, 2.0, 2.5, 1.0]); aff[:3, 3] = [1, 2, 3]
    save(nib.Nifti2Image(val, aff), "nifti2_float64.nii", val)
    val16 = (i - 2 * j + 3 * k - 4).astype(np.int16)
    save(nib.Nifti2Image(val16, aff), "nifti2_int16.nii.gz", val16)

    i, j, k = grid((3, 2, 2))
    for name, (dt, m, b) in DTYPE_FORMULA.items():
        v = ((i + 3 * j + 5 * k).astype(np.int64) * m + b).astype(dt)
        img = nib.Nifti1Image(v, np.eye(4)); img.header.set_data_dtype(dt)
        save(img, f"dtype_{name}.nii", v.astype(np.float64))

    i, j, k = grid((4, 3, 2))
    v = (100 * i - 7 * j + 3 * k).astype(">i2")
    hdr = nib.Nifti1Header(endianness=">")
    hdr.set_data_dtype(">i2")
    img = nib.Nifti1Image(v, np.eye(4), header=hdr)
    save(img, "bigendian_int16.nii", v.astype(np.float64))
    assert nib.load(os.path.join(NIFTI, "bigendian_int16.nii")).header.endianness == ">"

    i, j = np.meshgrid(np.arange(4), np.arange(3), indexing="ij")
    v = (i + 10 * j).astype(np.float32)
    save(nib.Nifti1Image(v, np.eye(4)), "image_2d.nii", v)

    i, j, k = grid((2, 2, 1))
    v = (i + 2 * j + 4 * k).astype(np.float32).reshape(2, 2, 1, 1)
    img = nib.Nifti1Image(v, np.eye(4))
    save(img, "singleton_4d.nii", v)

    i, j, k = grid((3, 3, 3))
    v = (i + j + k).astype(np.float32)
    c, s = math.cos(math.radians(25)), math.sin(math.radians(25))
    aff = np.array([[c * 2, 0, s * 3, -4], [0, 1.5, 0, 6], [-s * 2, 0, c * 3, 8], [0, 0, 0, 1]])
    img = nib.Nifti1Image(v, None)
    img.set_qform(aff, code=1); img.set_sform(None, code=0)
    save(img, "qform_only.nii", v)

    img = nib.Nifti1Image(v, None)
    img.header.set_zooms((2.0, 3.0, 4.0))
    img.set_qform(None, code=0); img.set_sform(None, code=0)
    save(img, "pixdim_only.nii", v, note="affine is nibabel's base affine; MedSynth uses diag(2, 3, 4)")
    expected["pixdim_only.nii"]["medsynth_affine"] = [2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1]

    with open(os.path.join(NIFTI, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def png_fixtures():
    os.makedirs(PNG, exist_ok=True)
    expected = {}

    def record(name, values, spacing=(1.0, 1.0)):
        v = np.asarray(values, dtype=np.float64)
        expected[name] = {"shape_dhw": [1, v.shape[0], v.shape[1]], "min": float(v.min()),
                          "max": float(v.max()), "mean": float(v.mean()), "spacing_mm": list(spacing)}

    j, i = np.meshgrid(np.arange(5), np.arange(7), indexing="ij")  # rows j, columns i
    g8 = ((3 * i + 17 * j) % 256).astype(np.uint8)
    Image.fromarray(g8).save(os.path.join(PNG, "gray8.png"))
    Image.fromarray(g8).save(os.path.join(PNG, "gray8_phys.png"), dpi=(254, 127))
    record("gray8.png", g8); record("gray8_phys.png", g8, (0.1, 0.2))

    j, i = np.meshgrid(np.arange(4), np.arange(6), indexing="ij")
    g16 = (1000 * j + 37 * i + 5).astype(np.uint16)
    Image.fromarray(g16).save(os.path.join(PNG, "gray16.png"))
    back = np.asarray(Image.open(os.path.join(PNG, "gray16.png")))
    assert np.array_equal(back, g16) and Image.open(os.path.join(PNG, "gray16.png")).mode == "I;16"
    record("gray16.png", g16)

    j, i = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    rgb = np.stack([60 * i, 80 * j, 20 * i + 40 * j], axis=-1).astype(np.uint8)
    Image.fromarray(rgb).save(os.path.join(PNG, "rgb.png"))
    gray = 0.2126 * rgb[..., 0] + 0.7152 * rgb[..., 1] + 0.0722 * rgb[..., 2]
    record("rgb.png", np.round(gray))

    ga = ((3 * i + 17 * j) % 256).astype(np.uint8)
    la = np.stack([ga, np.full_like(ga, 128)], axis=-1)
    Image.fromarray(la).save(os.path.join(PNG, "gray_alpha.png"))
    record("gray_alpha.png", ga)

    pal = Image.fromarray(ga).convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE, colors=256)
    pal.save(os.path.join(PNG, "palette.png"))
    assert np.array_equal(np.asarray(Image.open(os.path.join(PNG, "palette.png")).convert("L")), ga)
    record("palette.png", ga)

    j, i = np.meshgrid(np.arange(2), np.arange(8), indexing="ij")
    bits = ((i + j) % 2).astype(bool)
    Image.fromarray(bits).save(os.path.join(PNG, "gray1.png"))
    record("gray1.png", bits.astype(np.float64) * 255)

    j, i = np.meshgrid(np.arange(3), np.arange(5), indexing="ij")
    px = (1000 * j + 100 * i).astype(np.uint16)
    info = PngImagePlugin.PngInfo()
    info.add_text("MedSynth", json.dumps({"medsynth_version": "0.1.0", "window": {"lower": -1024.0, "upper": 3071.0},
                                          "modality": "CT", "unit": "HU", "spacing_mm": [0.7, 0.8]}))
    Image.fromarray(px).save(os.path.join(PNG, "medsynth_ct16.png"), pnginfo=info)
    record("medsynth_ct16.png", -1024.0 + px / 65535.0 * 4095.0, (0.7, 0.8))

    with open(os.path.join(PNG, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bad_inputs():
    os.makedirs(BAD, exist_ok=True)
    rng = np.random.default_rng(20240611)

    def write(name, data):
        with open(os.path.join(BAD, name), "wb") as f:
            f.write(data)

    for name in ("zero-bytes.png", "zero-bytes.nii", "zero-bytes.nii.gz"):
        write(name, b"")
    for name in ("random-bytes.png", "random-bytes.nii", "random-bytes.nii.gz"):
        write(name, rng.integers(0, 256, 2048, dtype=np.uint8).tobytes())

    # A valid 64x64 PNG cut in the middle of its image data.
    noise = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    tmp = os.path.join(BAD, "_tmp.png")
    Image.fromarray(noise).save(tmp)
    png = open(tmp, "rb").read(); os.remove(tmp)
    write("truncated.png", png[: len(png) // 2])
    write("png-named.nii", png)
    bad_crc = bytearray(png); bad_crc[29] ^= 0xFF  # inside the IHDR CRC
    write("bad-crc.png", bytes(bad_crc))

    # A PNG whose IHDR claims 1,000,000 x 1,000,000 pixels (about 2^40) with a tiny IDAT.
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = struct.pack(">IIBBBBB", 1_000_000, 1_000_000, 8, 0, 0, 0, 0)
    write("huge-dims.png", sig + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
          + png_chunk(b"IEND", b""))

    # A PNG whose IHDR claims 40000 x 40000 8-bit pixels (1.6e9, under the voxel limit) in 70 bytes: deflate
    # cannot expand that little data so far, so the reader refuses before allocating 1.6 GB.
    ihdr = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 0, 0, 0, 0)
    write("oversized-claim.png", sig + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
          + png_chunk(b"IEND", b""))

    # NIfTI files.
    v = np.arange(8 * 8 * 8, dtype=np.float32).reshape(8, 8, 8)
    nii = nib.Nifti1Image(v, np.eye(4))
    nii.header.set_data_offset(352)
    full = nii.header.binaryblock + b"\0\0\0\0" + v.tobytes(order="F")
    write("truncated.nii", full[: 352 + len(v.tobytes()) // 2])
    gz = gzip.compress(full, mtime=0)
    write("truncated.nii.gz", gz[: len(gz) // 2])
    write("short-data.nii.gz", gzip.compress(full[: 352 + 100], mtime=0))
    write("nifti-named.png", full)

    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(np.float32)
    hdr["dim"] = [3, 32767, 32767, 1024, 1, 1, 1, 1]  # 1.1e12 voxels, about 2^40
    hdr["vox_offset"] = 352
    huge = hdr.binaryblock + b"\0\0\0\0" + b"\0" * 64
    write("huge-dims.nii", huge)
    write("huge-dims.nii.gz", gzip.compress(huge, mtime=0))
    hdr2 = nib.Nifti2Header()
    hdr2.set_data_dtype(np.float32)
    hdr2["dim"] = [3, 1 << 14, 1 << 13, 1 << 13, 1, 1, 1, 1]  # exactly 2^40 voxels
    hdr2["vox_offset"] = 544
    write("huge-dims-nifti2.nii", hdr2.binaryblock + b"\0\0\0\0" + b"\0" * 64)

    # 1000^3 float32 voxels (4 GB, under the voxel limit) claimed by tiny files: refused before allocating.
    hdr = nib.Nifti1Header(); hdr.set_data_dtype(np.float32)
    hdr["dim"] = [3, 1000, 1000, 1000, 1, 1, 1, 1]
    hdr["vox_offset"] = 352
    claim = hdr.binaryblock + b"\0\0\0\0" + b"\0" * 4096
    write("oversized-claim.nii", claim)
    write("oversized-claim.nii.gz", gzip.compress(claim, mtime=0))

    hdr = nib.Nifti1Header(); hdr.set_data_dtype(np.float32)
    hdr["dim"] = [3, 4, -5, 2, 1, 1, 1, 1]
    hdr["vox_offset"] = 352
    write("negative-dims.nii", hdr.binaryblock + b"\0\0\0\0" + b"\0" * 160)

    hdr = nib.Nifti1Header(); hdr.set_data_dtype(np.float32)
    hdr["dim"] = [3, 2, 2, 2, 1, 1, 1, 1]
    hdr["vox_offset"] = 1e12
    write("huge-vox-offset.nii", hdr.binaryblock + b"\0\0\0\0" + b"\0" * 32)

    # Valid NIfTI files that MedSynth does not read.
    c = (np.arange(8) + 1j * np.arange(8)).astype(np.complex64).reshape(2, 2, 2)
    nib.save(nib.Nifti1Image(c, np.eye(4)), os.path.join(BAD, "unsupported-complex64.nii"))
    s = np.zeros((2, 2, 2, 3), dtype=np.float32)
    nib.save(nib.Nifti1Image(s, np.eye(4)), os.path.join(BAD, "series-4d.nii"))


if __name__ == "__main__":
    nifti_fixtures()
    png_fixtures()
    bad_inputs()
    total = 0
    for folder in (NIFTI, PNG, BAD):
        for name in os.listdir(folder):
            total += os.path.getsize(os.path.join(folder, name))
    print(f"wrote fixtures: {total} bytes")
