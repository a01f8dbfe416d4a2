#!/usr/bin/env python3
"""Writes a synthetic axial CT series for benchmarks/compare_dicom.py (DICOM -> NIfTI, MedSynth vs dcm2niix).

One classic single-frame CT file per slice, explicit VR little endian, int16 stored values with RescaleSlope 1 and
RescaleIntercept -1024 (HU), PixelSpacing 0.7 mm, slices 1.0 mm apart along +z (LPS), files named with random hex
in shuffled order (InstanceNumber follows z, the names do not). The content is a head-like phantom: air
(-1000 HU) inside a circular scanner field of view, -3024 HU padding outside it, an ellipsoidal head whose
cross-section shrinks towards both ends of the series (never to nothing: every slice holds tissue), a 6 mm skull
of ~1000 HU, brain at ~35 HU with a ventricle-like CSF region and an off-centre lesion (so any flip or
transposition changes the volume), and Gaussian noise (sigma 12 HU) on every voxel, so that no decoder or writer
can shortcut on constant data. Everything is seeded: the same arguments write byte-identical files.

UIDs are fixed, under 1.2.826.0.1.3680043.8.498.78. (the fixtures of scripts/make_dicom_fixtures.py use .77.).
No real patient data; the patient tags are obvious placeholders.

Usage: .venv/bin/python scripts/make_benchmark_ct_series.py --out /tmp/bench-ct [--rows 512] [--columns 512]
       [--slices 300] [--seed 20240607]
At the default size the series is ~150 MB (300 files of 512 x 512 x 2 bytes plus headers).
Needs: pip install pydicom numpy.
"""
import argparse
import os
import re
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

UID_BASE = "1.2.826.0.1.3680043.8.498.78."
CT_SOP = "1.2.840.10008.5.1.4.1.1.2"
PIXEL_SPACING = 0.7  # mm, rows and columns
SLICE_STEP = 1.0  # mm between slice positions
INTERCEPT = -1024


def phantom_slice(k, n, rows, cols, rng):
    """HU values (float64, rows x cols) of slice k of n."""
    y = (np.arange(rows) - (rows - 1) / 2.0)[:, None] * PIXEL_SPACING  # mm from the centre, posterior +
    x = (np.arange(cols) - (cols - 1) / 2.0)[None, :] * PIXEL_SPACING  # mm, patient left +
    fov = np.hypot(x, y) <= 0.5 * min(rows, cols) * PIXEL_SPACING * 0.98
    # z in [-1, 1] over the series; the head's semi-axes scale from 0.45 at both ends to 1 in the middle.
    z = 2.0 * k / max(n - 1, 1) - 1.0
    scale = 0.45 + 0.55 * np.sqrt(max(0.0, 1.0 - z * z))
    # Head-sized: 75 mm x 95 mm semi-axes at full size, centred 8 mm anterior so it is not symmetric.
    # The semi-axes also shrink with a small image so a 128 x 128 test series still shows a whole head.
    fit = min(1.0, 0.42 * min(rows, cols) * PIXEL_SPACING / 95.0)
    a, b = 75.0 * scale * fit, 95.0 * scale * fit
    cy = -8.0 * fit
    r = np.hypot(x / a, (y - cy) / b)  # 1 on the outer skin surface
    skull = 6.0 * fit / min(a, b)  # skull thickness in units of r
    hu = np.full((rows, cols), -1000.0)
    hu[r <= 1.0] = 20.0  # scalp / soft tissue
    hu[r <= 1.0 - 0.3 * skull] = 1000.0  # bone
    brain = r <= 1.0 - 1.3 * skull
    hu[brain] = 35.0 + 4.0 * np.sin(x[0][None, :] / 9.0 + y[:, 0][:, None] / 13.0 + 0.05 * k)[brain]
    # CSF ventricle-like region, slightly left of centre, only in the middle third of the series.
    if abs(z) < 0.33:
        vent = np.hypot((x - 6.0 * fit) / (12.0 * fit), (y - cy) / (30.0 * fit)) <= 1.0
        hu[vent & brain] = 8.0
    # An enhancing lesion in the right-anterior brain (x < 0, y < cy), over a range of slices.
    if -0.2 < z < 0.25:
        les = np.hypot(x + 30.0 * fit, y - cy + 35.0 * fit) <= 11.0 * fit
        hu[les & brain] = 70.0
    hu += rng.normal(0.0, 12.0, size=(rows, cols))
    hu[~fov] = -3024.0
    return hu


def random_names(rng, n):
    names, out = set(), []
    while len(out) < n:
        name = "IM" + "".join(rng.choice(list("0123456789ABCDEF"), size=10))
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def dataset(k, n, rows, cols, stored, origin):
    sop_instance = f"{UID_BASE}3.{100000 + k}"
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CT_SOP
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = UID_BASE + "99.1"
    meta.ImplementationVersionName = "MEDSYNTH_BENCH_1"
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CT_SOP
    ds.SOPInstanceUID = sop_instance
    ds.StudyDate = "20000101"
    ds.SeriesDate = "20000101"
    ds.StudyTime = "120000"
    ds.SeriesTime = "120000"
    ds.AcquisitionTime = "120000"
    ds.Modality = "CT"
    ds.Manufacturer = "MEDSYNTH BENCHMARK"
    ds.ManufacturerModelName = "SYNTHETIC"
    ds.PatientName = "Benchmark^Synthetic"
    ds.PatientID = "BENCH0001"
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "HEAD"
    ds.KVP = "120"
    ds.ConvolutionKernel = "STANDARD"
    ds.SeriesDescription = "BENCHMARK AXIAL CT"
    ds.StudyInstanceUID = UID_BASE + "1"
    ds.SeriesInstanceUID = UID_BASE + "2"
    ds.FrameOfReferenceUID = UID_BASE + "4"
    ds.PositionReferenceIndicator = ""
    ds.StudyID = "1"
    ds.SeriesNumber = 2
    ds.AcquisitionNumber = 1
    ds.InstanceNumber = k + 1
    z = origin[2] + SLICE_STEP * k
    ds.ImagePositionPatient = [f"{origin[0]:.4f}", f"{origin[1]:.4f}", f"{z:.4f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SliceLocation = f"{z:.4f}"
    ds.SliceThickness = f"{SLICE_STEP:g}"
    ds.PixelSpacing = [f"{PIXEL_SPACING:g}", f"{PIXEL_SPACING:g}"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.WindowCenter = "40"
    ds.WindowWidth = "80"
    ds.RescaleIntercept = str(INTERCEPT)
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.add_new(0x7FE00010, "OW", np.ascontiguousarray(stored, dtype="<i2").tobytes())
    return ds


def folder_size(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder to write (made if missing; a series this script wrote there before is replaced)")
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--columns", type=int, default=512)
    ap.add_argument("--slices", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20240607)
    args = ap.parse_args()
    if args.rows < 16 or args.columns < 16 or args.slices < 2:
        sys.exit("need at least 16 rows, 16 columns and 2 slices")
    if os.path.exists(args.out):
        if not os.path.isdir(args.out):
            sys.exit(f"{args.out} exists and is not a folder")
        # Rerunnable, but never deletes anything it did not write: only files named like ours.
        old = os.listdir(args.out)
        foreign = [f for f in old if not (re.fullmatch(r"IM[0-9A-F]{10}", f)
                                          and os.path.isfile(os.path.join(args.out, f)))]
        if foreign:
            sys.exit(f"{args.out} holds files this script did not write (e.g. {foreign[0]}); choose an empty or "
                     "new folder")
        for f in old:
            os.remove(os.path.join(args.out, f))
    os.makedirs(args.out, exist_ok=True)

    rng = np.random.default_rng(args.seed)
    names = random_names(rng, args.slices)
    order = rng.permutation(args.slices)  # write in shuffled order too (directory order != z order)
    # LPS origin of the first slice's first voxel: the image centre on the scanner axis.
    origin = (-(args.columns - 1) / 2.0 * PIXEL_SPACING, -(args.rows - 1) / 2.0 * PIXEL_SPACING,
              -SLICE_STEP * (args.slices - 1) / 2.0)
    for k in order:
        slice_rng = np.random.default_rng([args.seed, int(k)])  # per-slice stream: independent of write order
        hu = np.rint(phantom_slice(int(k), args.slices, args.rows, args.columns, slice_rng))
        stored = np.clip(hu - INTERCEPT, -32768, 32767).astype(np.int16)
        ds = dataset(int(k), args.slices, args.rows, args.columns, stored, origin)
        ds.save_as(os.path.join(args.out, names[int(k)]), enforce_file_format=True)
    size = folder_size(args.out)
    print(f"{args.out}: {args.slices} files, {args.rows} x {args.columns} x {args.slices} int16, "
          f"{size / 1e6:.1f} MB ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
