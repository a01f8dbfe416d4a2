#!/usr/bin/env python3
"""Writes the DICOM reader fixtures, their oracle (expected.json) and the DICOM bad-input files.

Run from the repository root (needs pydicom, nibabel and numpy in .venv, plus the Debian packages
dcm2niix and libgdcm-tools on PATH; CI needs none of them, the files it writes are committed):

    python3 -m venv .venv && .venv/bin/pip install pydicom nibabel numpy
    .venv/bin/python scripts/make_dicom_fixtures.py

The script is deterministic (fixed seeds, fixed UIDs under 1.2.826.0.1.3680043.8.498.77., fixed dates) and
rerunnable: it deletes everything it made before (all of Tests/Fixtures/dicom except README.md, and
Tests/Fixtures/bad-input/dicom-*.dcm) and writes it again.

What it writes, under Tests/Fixtures/dicom/ (see README.md there for what each fixture exercises):
  axial-ct/              CT, 6 slices of 20 rows x 24 columns, int16, slope 1 intercept -1024, shuffled names
  axial-ct-implicit/     axial-ct re-encoded by gdcmconv: implicit VR little endian
  axial-ct-bigendian/    axial-ct written by pydicom in explicit VR big endian (gdcmconv cannot write it)
  axial-ct-jpeg-lossless/, axial-ct-jpegls/, axial-ct-j2k/, axial-ct-rle/
                         axial-ct compressed losslessly by gdcmconv (--jpeg, --jpegls, --j2k, --rle)
  oblique-mr/            MR, 5 slices 18 x 22, doubly oblique, uint16, slope 2.5 intercept -100
  two-series/            two CT series (SeriesNumber 3 and 7) in one folder, files interleaved
  missing-slice/         CT, 7 slices at 2 mm with one interior slice removed (refused)
  gantry-tilt/           CT whose slice positions move along y as well as z, GantryDetectorTilt 12 (refused)
  localizer/             5 axial CT slices plus a coronal LOCALIZER image in the same series (skipped)
  enhanced-ct/           one Enhanced CT file, 6 frames of 20 x 24 stored out of spatial order
  pet-suv/, pet-suv-admin/, pet-missing-weight/
                         PET, 6 slices 16 x 16, per-slice RescaleSlope; DecayCorrection START / ADMIN / no weight
  bad-in-series/         5-slice CT series, one file cut in the middle of its pixel data (refused)
  expected.json          the oracle, keyed by folder name (conventions below)
  phi.json               {"strings": [...], "uids": [...], "attributes": {...}}: every patient-identifying
                         string and every instance UID written to any fixture, for de-identification tests
  dcm2niix/<name>.nii.gz dcm2niix's conversion of each fixture it can read, checked against expected.json
and under Tests/Fixtures/bad-input/: dicom-truncated.dcm, dicom-random-after-preamble.dcm,
dicom-no-pixel-data.dcm, dicom-zero-rows.dcm, dicom-pixel-length-mismatch.dcm.

Conventions of expected.json (MedSynth's): voxel (i = DICOM column, j = DICOM row, k = slice), i fastest;
slices sorted by increasing projection of ImagePositionPatient onto n = rowCosines x colCosines; world RAS.
"affine" (row-major 4x4) maps (i, j, k, 1) to RAS mm: columns diag(-1,-1,1) times
rowCosines*PixelSpacing[1], colCosines*PixelSpacing[0], (IPP_last - IPP_first)/(N-1) and IPP_first.
"values" holds every voxel after RescaleSlope/RescaleIntercept, in (k, j, i) order with i fastest.

Checks (any failure stops the script with a message; expected.json and phi.json are written only once all
of them pass):
  * every transfer-syntax copy: gdcminfo reports the transfer syntax its name says, and gdcmconv --raw
    decompresses it back to exactly axial-ct's stored pixels (read with gdcmraw, not pydicom);
  * every fixture dcm2niix can read: `dcm2niix -z y -b n -f <name> -o <tmp> <folder>`, loaded with nibabel,
    agrees with expected.json: inv(A_dcm2niix) @ A_expected is a signed permutation plus an integer
    translation, the affines then agree within 1e-4 mm and every voxel value agrees within 1e-6
    (relative above 1; stricter than 1e-3, which would let an off-by-one above 1000 pass);
  * the refused fixtures show their defect to dcm2niix too (varying slice distance, a 12 degree tilt, a file
    too short for its pixel data), and pet-missing-weight converts to exactly pet-suv's geometry and values;
  * every UID written (read back from every file) is one this script made and is listed in phi.json.
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(REPO, "Tests", "Fixtures", "dicom")
BAD = os.path.join(REPO, "Tests", "Fixtures", "bad-input")
D2N = os.path.join(OUT, "dcm2niix")

ROOT_UID = "1.2.826.0.1.3680043.8.498."
UID_BASE = ROOT_UID + "77."  # every fixture UID is UID_BASE + fixed numbers (never pydicom's "...498.1")
IMPLEMENTATION_UID = UID_BASE + "99.9.1"  # file meta only; not an instance UID, not listed in phi.json

CT_SOP = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_SOP = "1.2.840.10008.5.1.4.1.1.2.1"
MR_SOP = "1.2.840.10008.5.1.4.1.1.4"
PET_SOP = "1.2.840.10008.5.1.4.1.1.128"

TS_NAMES = {
    "1.2.840.10008.1.2": "implicit VR little endian",
    "1.2.840.10008.1.2.1": "explicit VR little endian",
    "1.2.840.10008.1.2.2": "explicit VR big endian",
    "1.2.840.10008.1.2.4.70": "JPEG lossless, process 14 selection value 1",
    "1.2.840.10008.1.2.4.80": "JPEG-LS lossless",
    "1.2.840.10008.1.2.4.90": "JPEG 2000 lossless",
    "1.2.840.10008.1.2.5": "RLE lossless",
}

# Patient-identifying attributes (PS3.15 Annex E basic profile) written into every file of every fixture.
PHI = {
    "PatientName": "ZEBEDEE^PHINEAS",
    "PatientID": "PHIID884213",
    "PatientBirthDate": "19430217",
    "PatientSex": "F",
    "PatientAge": "083Y",
    "PatientAddress": "17 QUILLFEATHER LANE",
    "AccessionNumber": "ACC5581903",
    "InstitutionName": "SAINT PHISBURY HOSPITAL",
    "InstitutionAddress": "9 PHISBURY CLOSE NORTHWICK",
    "ReferringPhysicianName": "DRAKEWELL^OTTILIE",
    "PerformingPhysicianName": "BRIGHTWATER^AUGUSTINA",
    "OperatorsName": "OPERATORQUINN",
    "StudyID": "STUDYPHI77",
    "StudyDate": "20190412",
    "SeriesDate": "20190412",
    "AcquisitionDate": "20190412",
    "ContentDate": "20190412",
    "StationName": "STATIONPHI9",
    "StudyDescription": "PHI STUDY DESCRIPTION KESTREL",
    "DeviceSerialNumber": "SNPHI4471",
}
SERIES_DESC_PREFIX = "PHI SERIES DESC"
STUDY_TIME = "093000.000"


def fail(msg):
    sys.exit(f"make_dicom_fixtures: FAILED: {msg}")


def check(cond, msg):
    if not cond:
        fail(msg)


# ----------------------------------------------------------------------------------------------- UIDs


class Uids:
    """UID_BASE + fixture.kind[.series[.instance]], every component of fixed width (so no UID is a prefix of
    another): fixture 10..98, kind 1 study / 2 series / 3 instance / 4 frame of reference / 5 other,
    series 10..99, instance 100..999."""

    def __init__(self):
        self.all = set()

    def _make(self, *parts):
        uid = UID_BASE + ".".join(str(p) for p in parts)
        check(len(uid) <= 64, uid)
        self.all.add(uid)
        return uid

    def study(self, fx):
        return self._make(fx, 1)

    def series(self, fx, s):
        return self._make(fx, 2, 10 + s)

    def instance(self, fx, s, n):
        return self._make(fx, 3, 10 + s, 100 + n)

    def frame_of_reference(self, fx):
        return self._make(fx, 4)

    def other(self, fx, n):
        return self._make(fx, 5, 10 + n)


UIDS = Uids()
SERIES_DESCRIPTIONS = []

# ------------------------------------------------------------------------------------------ helpers


def ds_str(x):
    """A DICOM DS string (at most 16 characters) for x; the oracle is computed from float(ds_str(x))."""
    if abs(x) < 1e-12:
        x = 0.0
    for digits in (12, 11, 10, 9, 8):
        s = f"{x:.{digits}g}"
        if len(s) <= 16:
            return s
    fail(f"cannot format {x} as DS")


def ds_vals(xs):
    return [ds_str(float(x)) for x in xs]


def ds_float(x):
    return float(ds_str(x))


def random_names(rng, n):
    """n distinct meaningless file names: random hex, some with .dcm, some without an extension."""
    names = set()
    out = []
    styles = rng.permutation(max(n, 4)) % 4  # every style once in any four names: half lack ".dcm"
    while len(out) < n:
        h = "".join(rng.choice(list("0123456789abcdef"), size=8))
        name = [f"IM_{h[:4]}.dcm", f"{h}", f"{h[:6]}.dcm", f"IMG{h[:5]}"][int(styles[len(out) % len(styles)])]
        if name not in names:
            names.add(name)
            out.append(name)
    return out


def smooth_pattern(shape, rng, base, ci, cj, ck, cij, amp, noise):
    """A smooth pattern plus seeded integer noise over (k, j, i): asymmetric in every axis, so any
    transposition or flip changes it."""
    nk, nj, ni = shape
    k, j, i = np.meshgrid(np.arange(nk), np.arange(nj), np.arange(ni), indexing="ij")
    v = (base + ci * i + cj * j + ck * k + cij * i * j
         + amp * np.sin(0.45 * i + 0.2 * j * j / max(nj, 1) + 0.9 * k))
    return np.rint(v).astype(np.int64) + rng.integers(-noise, noise + 1, size=shape)


def lps_to_ras(v):
    return np.array([-v[0], -v[1], v[2]], dtype=np.float64)


def new_dataset(sop_class, sop_instance, transfer_syntax=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = transfer_syntax
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = "MEDSYNTH_FIX_1"
    ds = Dataset()
    ds.file_meta = meta
    ds.preamble = b"\0" * 128
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_instance
    return ds


def add_patient_study(ds, fx, series_no, series_suffix, modality, study_time=STUDY_TIME,
                      series_time=None, with_weight=True):
    for key, value in PHI.items():
        setattr(ds, key, value)
    desc = f"{SERIES_DESC_PREFIX} {series_suffix}"
    if desc not in SERIES_DESCRIPTIONS:
        SERIES_DESCRIPTIONS.append(desc)
    ds.SeriesDescription = desc
    ds.StudyTime = study_time
    ds.SeriesTime = series_time or study_time
    ds.ContentTime = series_time or study_time
    ds.Modality = modality
    ds.Manufacturer = "MEDSYNTH FIXTURES"
    ds.ManufacturerModelName = "SYNTHETIC"
    ds.SoftwareVersions = "make_dicom_fixtures 1"
    ds.StudyInstanceUID = UIDS.study(fx)
    ds.SeriesInstanceUID = UIDS.series(fx, series_no)
    ds.FrameOfReferenceUID = UIDS.frame_of_reference(fx)
    ds.PositionReferenceIndicator = ""
    ds.SeriesNumber = series_no
    ds.PatientPosition = "HFS"
    if with_weight:
        ds.PatientWeight = "72.5"
    ds.BodyPartExamined = "CHEST"


def set_image_pixel(ds, rows, cols, signed):
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0


def pixel_bytes(stored2d, signed, big_endian=False):
    dt = (">" if big_endian else "<") + ("i2" if signed else "u2")
    info = np.iinfo(np.int16 if signed else np.uint16)
    check(stored2d.min() >= info.min and stored2d.max() <= info.max, "stored value out of range")
    return np.ascontiguousarray(stored2d).astype(dt).tobytes()


def save(ds, path):
    ts = ds.file_meta.TransferSyntaxUID
    ds.save_as(path, implicit_vr=(ts == ImplicitVRLittleEndian), little_endian=(ts != ExplicitVRBigEndian),
               enforce_file_format=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


# ------------------------------------------------------------------------------------ classic series


class Series:
    """One single-frame series: geometry in sorted order (k = 0 .. N-1 by increasing projection on n)."""

    def __init__(self, *, fx, series_no, suffix, modality, sop, rows, cols, spacing, iop, ipps, stored,
                 slopes, intercepts, instance_numbers, names, signed, thickness, extra=None, per_slice=None,
                 series_time=None, with_weight=True, rescale_type=None):
        self.__dict__.update(locals())
        del self.__dict__["self"]
        self.n = len(ipps)
        check(stored.shape == (self.n, rows, cols), f"{suffix}: stored shape")
        self.iop_f = [float(s) for s in ds_vals(iop)]
        self.ipp_f = [[float(s) for s in ds_vals(p)] for p in ipps]
        self.spacing_f = [float(s) for s in ds_vals(spacing)]
        self.slope_f = [ds_float(s) for s in slopes]
        self.inter_f = [ds_float(b) for b in intercepts]

    def dataset(self, k):
        ds = new_dataset(self.sop, UIDS.instance(self.fx, self.series_no, self.instance_numbers[k]))
        add_patient_study(ds, self.fx, self.series_no, self.suffix, self.modality,
                          series_time=self.series_time, with_weight=self.with_weight)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.InstanceNumber = self.instance_numbers[k]
        ds.AcquisitionNumber = 1
        ds.ImagePositionPatient = ds_vals(self.ipps[k])
        ds.ImageOrientationPatient = ds_vals(self.iop)
        ds.PixelSpacing = ds_vals(self.spacing)
        ds.SliceThickness = ds_str(self.thickness)
        n = np.cross(self.iop_f[:3], self.iop_f[3:])
        ds.SliceLocation = ds_str(float(np.dot(n, self.ipp_f[k])))
        set_image_pixel(ds, self.rows, self.cols, self.signed)
        ds.RescaleIntercept = ds_str(self.intercepts[k])
        ds.RescaleSlope = ds_str(self.slopes[k])
        if self.rescale_type:
            ds.RescaleType = self.rescale_type
        for key, value in (self.extra or {}).items():
            setattr(ds, key, value)
        if self.per_slice:
            self.per_slice(ds, k)
        ds.add_new(0x7FE00010, "OW", pixel_bytes(self.stored[k], self.signed))
        return ds

    def write(self, folder, skip=()):
        os.makedirs(folder, exist_ok=True)
        for k in range(self.n):
            if k in skip:
                continue
            save(self.dataset(k), os.path.join(folder, self.names[k]))

    def expected(self, keep=None):
        keep = list(range(self.n)) if keep is None else keep
        iop = np.array(self.iop_f)
        row, col = iop[:3], iop[3:]
        nrm = np.cross(row, col)
        order = sorted(keep, key=lambda k: float(np.dot(nrm, self.ipp_f[k])))
        check(order == sorted(keep), f"{self.suffix}: slices not given in sorted order")
        first, last = np.array(self.ipp_f[order[0]]), np.array(self.ipp_f[order[-1]])
        a = np.eye(4)
        a[:3, 0] = lps_to_ras(row * self.spacing_f[1])
        a[:3, 1] = lps_to_ras(col * self.spacing_f[0])
        a[:3, 2] = lps_to_ras((last - first) / (len(order) - 1))
        a[:3, 3] = lps_to_ras(first)
        vals = np.stack([self.stored[k] * self.slope_f[k] + self.inter_f[k] for k in order]).astype(np.float64)
        return {
            "shape": [len(order), self.rows, self.cols],
            "affine": [float(x) for x in a.reshape(-1)],
            "modality": self.modality,
            "rescale": {"slopes": [self.slope_f[k] for k in order],
                        "intercepts": [self.inter_f[k] for k in order],
                        "note": "per slice in sorted (k) order; value = stored * slope + intercept"},
            "files": [self.names[k] for k in order],
            "instanceNumbers": [self.instance_numbers[k] for k in order],
            "voxelSum": float(vals.sum()),
            "voxelMin": float(vals.min()),
            "voxelMax": float(vals.max()),
            "values": [float(v) for v in vals.reshape(-1)],
        }


def axial_ipps(origin, n, step, shift=(0.0, 0.0)):
    """IPPs (LPS) of n axial slices in sorted (increasing z) order; shift moves x, y per slice (gantry tilt)."""
    return [[origin[0] + shift[0] * k, origin[1] + shift[1] * k, origin[2] + step * k] for k in range(n)]


AXIAL = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
CT_EXTRA = {"KVP": "120", "ConvolutionKernel": "STANDARD", "PatientPosition": "HFS",
            "WindowCenter": "40", "WindowWidth": "400"}


def ct_series(fx, series_no, suffix, rng, rows, cols, n, spacing, step, origin, instance_numbers, thickness,
              shift=(0.0, 0.0), extra=None):
    stored = smooth_pattern((n, rows, cols), rng, 900, 37, 13, 71, 0.6, 60, 15)
    stored[:, :2, :3] = -2000  # padding corner: negative stored values (signed int16)
    return Series(fx=fx, series_no=series_no, suffix=suffix, modality="CT", sop=CT_SOP, rows=rows, cols=cols,
                  spacing=spacing, iop=AXIAL, ipps=axial_ipps(origin, n, step, shift), stored=stored,
                  slopes=[1] * n, intercepts=[-1024] * n, instance_numbers=instance_numbers,
                  names=random_names(rng, n), signed=True, thickness=thickness,
                  extra={**CT_EXTRA, **(extra or {})}, rescale_type="HU")


# ------------------------------------------------------------------------------------------ fixtures


def make_axial_ct(expected, stored_by_file):
    rng = np.random.default_rng(1001)
    n = 6
    s = ct_series(11, 2, "AXIAL CT", rng, 20, 24, n, [0.8, 0.7], 2.5, [-8.05, -7.6, -40.0],
                  instance_numbers=[n - k for k in range(n)], thickness=3.0)  # z descending with InstanceNumber
    s.write(os.path.join(OUT, "axial-ct"))
    expected["axial-ct"] = s.expected()
    expected["axial-ct"]["transferSyntax"] = ExplicitVRLittleEndian
    for k in range(n):
        stored_by_file[s.names[k]] = s.stored[k]
    return s


def make_transfer_syntax_copies(expected, stored_by_file, series):
    src = os.path.join(OUT, "axial-ct")
    copies = {
        "axial-ct-implicit": (["--implicit"], "1.2.840.10008.1.2"),
        "axial-ct-bigendian": (None, "1.2.840.10008.1.2.2"),
        "axial-ct-jpeg-lossless": (["--jpeg"], "1.2.840.10008.1.2.4.70"),
        "axial-ct-jpegls": (["--jpegls"], "1.2.840.10008.1.2.4.80"),
        "axial-ct-j2k": (["--j2k"], "1.2.840.10008.1.2.4.90"),
        "axial-ct-rle": (["--rle"], "1.2.840.10008.1.2.5"),
    }
    for name, (args, ts) in copies.items():
        folder = os.path.join(OUT, name)
        os.makedirs(folder)
        for fname in sorted(os.listdir(src)):
            out = os.path.join(folder, fname)
            if args is None:  # pydicom: explicit VR big endian, pixel data byte-swapped by hand
                ds = series.dataset(series.names.index(fname))
                ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
                ds.PixelData = pixel_bytes(stored_by_file[fname], True, big_endian=True)
                save(ds, out)
            else:
                run(["gdcmconv", *args, os.path.join(src, fname), out])
            verify_copy(out, ts, stored_by_file[fname], name)
        entry = dict(expected["axial-ct"])
        entry["transferSyntax"] = ts
        entry["note"] = f"axial-ct re-encoded as {TS_NAMES[ts]}; same UIDs, names and pixels"
        expected[name] = entry


def gdcm_transfer_syntax(path):
    out = run(["gdcminfo", path]).stdout
    m = re.search(r"TransferSyntax is (\S+)", out)
    check(m, f"gdcminfo printed no transfer syntax for {path}:\n{out}")
    return m.group(1)


def verify_copy(path, ts, stored, name):
    got = gdcm_transfer_syntax(path)
    check(got == ts, f"{name}/{os.path.basename(path)}: transfer syntax {got}, wanted {ts}")
    with tempfile.TemporaryDirectory() as tmp:
        raw_dcm = os.path.join(tmp, "raw.dcm")
        run(["gdcmconv", "--raw", path, raw_dcm])
        raw_ts = gdcm_transfer_syntax(raw_dcm)
        check(raw_ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2"),
              f"{name}: gdcmconv --raw left {raw_ts}")
        raw = os.path.join(tmp, "pixels.raw")
        run(["gdcmraw", "-t", "7fe0,0010", "-i", raw_dcm, "-o", raw])
        with open(raw, "rb") as f:
            data = f.read()
        dt = ">i2" if raw_ts == "1.2.840.10008.1.2.2" else "<i2"
        check(len(data) == stored.size * 2, f"{name}/{os.path.basename(path)}: {len(data)} pixel bytes after --raw")
        back = np.frombuffer(data, dtype=dt).reshape(stored.shape)
        check(np.array_equal(back, stored), f"{name}/{os.path.basename(path)}: pixels differ after gdcmconv --raw")


def make_oblique_mr(expected):
    rng = np.random.default_rng(1002)
    rows, cols, n = 18, 22, 5
    a, b = math.radians(20), math.radians(10)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    r = rz @ rx  # columns: row direction, column direction, normal (orthonormal, right-handed)
    iop = list(r[:, 0]) + list(r[:, 1])
    normal = r[:, 2]
    origin = np.array([-12.5, 30.25, 8.0])
    ipps = [list(origin + 1.7 * k * normal) for k in range(n)]
    k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), indexing="ij")
    stored = 500 + 1500 * i + 300 * j + 1900 * k + rng.integers(0, 51, size=(n, rows, cols))  # up to ~45000
    extra = {"ScanningSequence": "SE", "SequenceVariant": "NONE", "ScanOptions": "", "MRAcquisitionType": "2D",
             "RepetitionTime": "500", "EchoTime": "12", "EchoTrainLength": 1, "MagneticFieldStrength": "3",
             "ImagingFrequency": "127.8", "ImagedNucleus": "1H", "FlipAngle": "90"}
    s = Series(fx=12, series_no=4, suffix="OBLIQUE MR", modality="MR", sop=MR_SOP, rows=rows, cols=cols,
               spacing=[1.1, 0.9], iop=iop, ipps=ipps, stored=stored, slopes=[2.5] * n, intercepts=[-100] * n,
               instance_numbers=[n - kk for kk in range(n)], names=random_names(rng, n), signed=False,
               thickness=1.5, extra=extra)
    s.write(os.path.join(OUT, "oblique-mr"))
    expected["oblique-mr"] = s.expected()
    check(expected["oblique-mr"]["voxelMax"] > 32767 * 2.5 - 100, "oblique-mr: want stored values above 32767")


def make_two_series(expected):
    rng = np.random.default_rng(1003)
    a = ct_series(13, 3, "SERIES THREE", rng, 16, 16, 4, [0.9, 0.9], 3.0, [-7.0, -7.0, 10.0],
                  instance_numbers=[1, 2, 3, 4], thickness=3.0)
    b = ct_series(13, 7, "SERIES SEVEN", rng, 20, 18, 5, [0.75, 0.6], 2.0, [-5.0, -8.0, 5.5],
                  instance_numbers=[5, 4, 3, 2, 1], thickness=2.0)
    # Interleave: sorted file names alternate between the two series; slice order within each shuffled.
    names = sorted(random_names(rng, 9))
    pattern = [3, 7, 3, 7, 3, 7, 3, 7, 7]
    a_names = [nm for nm, p in zip(names, pattern) if p == 3]
    b_names = [nm for nm, p in zip(names, pattern) if p == 7]
    a.names = [a_names[x] for x in rng.permutation(4)]
    b.names = [b_names[x] for x in rng.permutation(5)]
    folder = os.path.join(OUT, "two-series")
    a.write(folder)
    b.write(folder)
    ea, eb = a.expected(), b.expected()
    ea["seriesNumber"], eb["seriesNumber"] = 3, 7
    expected["two-series"] = {"series": [ea, eb]}


def make_missing_slice(expected):
    rng = np.random.default_rng(1004)
    s = ct_series(14, 2, "MISSING SLICE", rng, 16, 20, 7, [0.8, 0.8], 2.0, [-8.0, -6.0, -20.0],
                  instance_numbers=list(range(1, 8)), thickness=2.0)
    s.write(os.path.join(OUT, "missing-slice"), skip={3})
    expected["missing-slice"] = {
        "error": "non-uniform slice spacing: a 4 mm gap between 2 mm slices (a missing slice)",
        "files": [s.names[k] for k in range(7) if k != 3],
        "gapBetweenFiles": [s.names[2], s.names[4]],
    }


def make_gantry_tilt(expected):
    rng = np.random.default_rng(1005)
    step = 2.5
    dy = ds_float(step * math.tan(math.radians(12)))
    s = ct_series(15, 2, "GANTRY TILT", rng, 16, 20, 5, [0.8, 0.8], step, [-8.0, -6.0, -20.0],
                  instance_numbers=list(range(1, 6)), thickness=2.5, shift=(0.0, dy),
                  extra={"GantryDetectorTilt": "12"})
    s.write(os.path.join(OUT, "gantry-tilt"))
    expected["gantry-tilt"] = {
        "error": "gantry tilt: slice positions step off the slice normal (GantryDetectorTilt 12)",
        "positionStepLPS": [0.0, dy, step],
    }


def make_localizer(expected):
    rng = np.random.default_rng(1006)
    s = ct_series(16, 5, "LOCALIZER SERIES", rng, 16, 20, 5, [0.9, 0.8], 3.0, [-7.6, -6.75, 12.0],
                  instance_numbers=[2, 3, 4, 5, 6], thickness=3.0)
    folder = os.path.join(OUT, "localizer")
    s.write(folder)
    loc_name = random_names(rng, 1)[0]
    check(loc_name not in s.names, "localizer name clash")
    rows, cols = 24, 28
    loc = new_dataset(CT_SOP, UIDS.instance(16, 5, 1))
    add_patient_study(loc, 16, 5, "LOCALIZER SERIES", "CT")
    for key, value in CT_EXTRA.items():
        setattr(loc, key, value)
    loc.ImageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
    loc.InstanceNumber = 1
    loc.AcquisitionNumber = 1
    loc.ImagePositionPatient = ds_vals([-140.0, 0.0, 150.0])
    loc.ImageOrientationPatient = ds_vals([1, 0, 0, 0, 0, -1])
    loc.PixelSpacing = ds_vals([10.0, 10.0])
    loc.SliceThickness = "1"
    set_image_pixel(loc, rows, cols, True)
    loc.RescaleIntercept = "-1024"
    loc.RescaleSlope = "1"
    loc.RescaleType = "HU"
    px = smooth_pattern((1, rows, cols), rng, 1000, 5, -9, 0, 0.3, 40, 5)[0]
    loc.add_new(0x7FE00010, "OW", pixel_bytes(px, True))
    save(loc, os.path.join(folder, loc_name))
    e = s.expected()
    e["skipped"] = 1
    e["skippedFiles"] = [loc_name]
    expected["localizer"] = e


def make_enhanced_ct(expected):
    rng = np.random.default_rng(1007)
    fx, series_no = 17, 6
    rows, cols, n = 20, 24, 6
    spacing = [0.75, 0.65]
    step = 3.0
    origin = [-7.8, -7.125, -55.5]
    ipps = axial_ipps(origin, n, step)  # sorted order
    stored = smooth_pattern((n, rows, cols), rng, 1100, -29, 17, -83, 0.7, 50, 12)
    stored[:, -2:, -3:] = -2000
    stored_order = [3, 0, 5, 1, 4, 2]  # frame f holds sorted slice stored_order[f]
    iop_s = ds_vals(AXIAL)
    sop = UIDS.instance(fx, series_no, 1)
    ds = new_dataset(ENHANCED_CT_SOP, sop)
    add_patient_study(ds, fx, series_no, "ENHANCED CT", "CT")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ds.InstanceNumber = 1
    ds.AcquisitionNumber = 1
    ds.AcquisitionDateTime = "20190412093000.000"
    ds.ContentQualification = "PRODUCT"
    ds.BurnedInAnnotation = "NO"
    ds.LossyImageCompression = "00"
    ds.PresentationLUTShape = "IDENTITY"
    ds.ImageComments = ""
    ds.KVP = "120"
    ds.NumberOfFrames = n
    set_image_pixel(ds, rows, cols, True)
    dim_org = UIDS.other(fx, 1)
    ds.DimensionOrganizationType = "3D"
    org = Dataset()
    org.DimensionOrganizationUID = dim_org
    ds.DimensionOrganizationSequence = Sequence([org])
    dims = []
    for pointer, label in ((0x00209056, "Stack ID"), (0x00209057, "In-Stack Position Number")):
        d = Dataset()
        d.DimensionOrganizationUID = dim_org
        d.DimensionIndexPointer = pointer
        d.FunctionalGroupPointer = 0x00209111
        d.DimensionDescriptionLabel = label
        dims.append(d)
    ds.DimensionIndexSequence = Sequence(dims)

    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = ds_vals(spacing)
    pm.SliceThickness = "3"
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = iop_s
    shared.PlaneOrientationSequence = Sequence([po])
    ft = Dataset()
    ft.FrameType = ["ORIGINAL", "PRIMARY", "AXIAL", "NONE"]
    ft.PixelPresentation = "MONOCHROME"
    ft.VolumetricProperties = "VOLUME"
    ft.VolumeBasedCalculationTechnique = "NONE"
    shared.CTImageFrameTypeSequence = Sequence([ft])
    voi = Dataset()
    voi.WindowCenter = "40"
    voi.WindowWidth = "400"
    shared.FrameVOILUTSequence = Sequence([voi])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])

    frames = []
    for f, k in enumerate(stored_order):
        item = Dataset()
        fc = Dataset()
        fc.FrameAcquisitionNumber = 1
        fc.StackID = "1"
        fc.InStackPositionNumber = k + 1
        fc.DimensionIndexValues = [1, k + 1]
        item.FrameContentSequence = Sequence([fc])
        pp = Dataset()
        pp.ImagePositionPatient = ds_vals(ipps[k])
        item.PlanePositionSequence = Sequence([pp])
        pv = Dataset()
        pv.RescaleIntercept = "-1024"
        pv.RescaleSlope = "1"
        pv.RescaleType = "HU"
        item.PixelValueTransformationSequence = Sequence([pv])
        frames.append(item)
    ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
    ds.add_new(0x7FE00010, "OW", b"".join(pixel_bytes(stored[k], True) for k in stored_order))
    folder = os.path.join(OUT, "enhanced-ct")
    os.makedirs(folder)
    fname = "ENH_5c1e.dcm"
    save(ds, os.path.join(folder, fname))

    a = np.eye(4)
    ipp_f = [[float(v) for v in ds_vals(p)] for p in ipps]
    sp = [float(v) for v in ds_vals(spacing)]
    a[:3, 0] = lps_to_ras(np.array([1.0, 0, 0]) * sp[1])
    a[:3, 1] = lps_to_ras(np.array([0, 1.0, 0]) * sp[0])
    a[:3, 2] = lps_to_ras((np.array(ipp_f[-1]) - np.array(ipp_f[0])) / (n - 1))
    a[:3, 3] = lps_to_ras(np.array(ipp_f[0]))
    vals = stored.astype(np.float64) - 1024.0
    expected["enhanced-ct"] = {
        "shape": [n, rows, cols],
        "affine": [float(x) for x in a.reshape(-1)],
        "modality": "CT",
        "rescale": {"slopes": [1.0] * n, "intercepts": [-1024.0] * n,
                    "note": "per frame (PixelValueTransformationSequence), in sorted (k) order"},
        "files": [fname],
        "frameOrder": [stored_order.index(k) for k in range(n)],
        "frameOrderNote": "frameOrder[k] = 0-based index of the stored frame that is sorted slice k",
        "voxelSum": float(vals.sum()),
        "voxelMin": float(vals.min()),
        "voxelMax": float(vals.max()),
        "values": [float(v) for v in vals.reshape(-1)],
    }


def pet_series(fx, suffix, decay_correction, with_weight):
    rng = np.random.default_rng(1008)  # same pixels in all three PET fixtures
    rows, cols, n = 16, 16, 6
    k, j, i = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), indexing="ij")
    stored = (3000 + 900 * i + 350 * j + 1200 * k + 2500 * np.exp(-((i - 5) ** 2 + (j - 9) ** 2) / 6.0)
              ).astype(np.int64) + rng.integers(0, 40, size=(n, rows, cols))
    slopes = [1.7, 0.5, 3.0, 0.9, 2.2, 1.3]  # sorted order: neither monotonic nor constant
    instance_numbers = [n - kk for kk in range(n)]  # ImageIndex runs head to foot
    series_time = "101500.000"

    def per_slice(ds, kk):
        ds.ImageIndex = instance_numbers[kk]
        ds.AcquisitionTime = "101500"
        ds.FrameReferenceTime = "0"
        ds.ActualFrameDuration = 180000
        ds.DecayFactor = "1"

    extra = {
        "Units": "BQML", "DecayCorrection": decay_correction, "CorrectedImage": ["DECY", "ATTN", "SCAT"],
        "SeriesType": ["STATIC", "IMAGE"], "CountsSource": "EMISSION", "RandomsCorrectionMethod": "DLYD",
        "AttenuationCorrectionMethod": "CT", "ReconstructionMethod": "OSEM", "NumberOfSlices": n,
        "ImageType": ["ORIGINAL", "PRIMARY"],
    }
    rp = Dataset()
    rp.Radiopharmaceutical = "Fluorodeoxyglucose"
    rp.RadiopharmaceuticalStartTime = "092000.000"
    rp.RadionuclideTotalDose = "370000000"
    rp.RadionuclideHalfLife = "6586.2"
    rp.RadionuclidePositronFraction = "0.9673"
    code = Dataset()
    code.CodeValue = "C-111A1"
    code.CodingSchemeDesignator = "SRT"
    code.CodeMeaning = "^18^Fluorine"
    rp.RadionuclideCodeSequence = Sequence([code])
    extra["RadiopharmaceuticalInformationSequence"] = Sequence([rp])
    return Series(fx=fx, series_no=9, suffix=suffix, modality="PT", sop=PET_SOP, rows=rows, cols=cols,
                  spacing=[2.0, 2.2], iop=AXIAL, ipps=axial_ipps([-15.0, -16.5, -60.0], n, 3.27),
                  stored=stored, slopes=slopes, intercepts=[0] * n, instance_numbers=instance_numbers,
                  names=random_names(rng, n), signed=True, thickness=3.27, extra=extra, per_slice=per_slice,
                  series_time=series_time, with_weight=with_weight)


def hhmmss_seconds(t):
    return int(t[0:2]) * 3600 + int(t[2:4]) * 60 + float(t[4:])


def make_pet(expected):
    weight_g = 72.5 * 1000
    dose = 370000000.0
    half_life = 6586.2
    dt = hhmmss_seconds("101500.000") - hhmmss_seconds("092000.000")
    check(dt == 3300, "PET delta t")
    for name, fx, decay, with_weight in (("pet-suv", 18, "START", True), ("pet-suv-admin", 19, "ADMIN", True),
                                         ("pet-missing-weight", 20, "START", False)):
        s = pet_series(fx, name.upper().replace("-", " "), decay, with_weight)
        s.write(os.path.join(OUT, name))
        if not with_weight:
            expected[name] = {"error": "PatientWeight (0010,1030) missing: body-weight SUV cannot be computed",
                              "missingTag": "(0010,1030) PatientWeight"}
            continue
        e = s.expected()
        if decay == "START":
            e["suvFactor"] = weight_g / (dose * 2.0 ** (-dt / half_life))
            e["suvNote"] = ("weight_g / (dose * 2^(-dt/halfLife)), dt = SeriesTime - RadiopharmaceuticalStartTime"
                            " = 3300 s; values are Bq/ml, SUV = value * suvFactor")
        else:
            e["suvFactor"] = weight_g / dose
            e["suvNote"] = "DecayCorrection ADMIN: weight_g / dose, no decay; SUV = value * suvFactor"
        e["units"] = "BQML"
        expected[name] = e


def make_bad_in_series(expected):
    rng = np.random.default_rng(1009)
    s = ct_series(21, 2, "BAD IN SERIES", rng, 16, 20, 5, [0.8, 0.8], 2.5, [-8.0, -6.0, -10.0],
                  instance_numbers=list(range(1, 6)), thickness=2.5)
    folder = os.path.join(OUT, "bad-in-series")
    s.write(folder)
    victim = s.names[2]
    path = os.path.join(folder, victim)
    size = os.path.getsize(path)
    cut = size - (16 * 20 * 2) // 2  # pixel data is the last element: cut it in half
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:cut])
    expected["bad-in-series"] = {"error": f"file {victim} is truncated in its pixel data", "badFile": victim}


def make_bad_inputs():
    rng = np.random.default_rng(1010)
    s = ct_series(22, 2, "BAD INPUT", rng, 20, 24, 1, [0.8, 0.7], 2.5, [-8.05, -7.6, 0.0],
                  instance_numbers=[1], thickness=2.5)
    good = s.dataset(0)
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "good.dcm")
        save(good, p)
        with open(p, "rb") as f:
            good_bytes = f.read()
    with open(os.path.join(BAD, "dicom-truncated.dcm"), "wb") as f:
        f.write(good_bytes[: len(good_bytes) // 2])
    with open(os.path.join(BAD, "dicom-random-after-preamble.dcm"), "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + rng.integers(0, 256, size=2048, dtype=np.uint8).tobytes())

    ds = s.dataset(0)
    del ds.PixelData
    save(ds, os.path.join(BAD, "dicom-no-pixel-data.dcm"))

    ds = s.dataset(0)
    ds.Rows = 0
    save(ds, os.path.join(BAD, "dicom-zero-rows.dcm"))

    ds = s.dataset(0)
    ds.Rows = 64
    ds.Columns = 64  # declares 64 x 64 x 2 bytes, holds 20 x 24 x 2
    save(ds, os.path.join(BAD, "dicom-pixel-length-mismatch.dcm"))


# ------------------------------------------------------------------------------------- dcm2niix check


def dcm2niix_check(name, entry, folder, tmp_root, out_name, keep=True):
    """Converts folder with dcm2niix, finds the output matching entry's shape, checks geometry and values
    against entry and (keep) copies the NIfTI to dcm2niix/<out_name>.nii.gz. Returns the relative path, or None
    when dcm2niix writes nothing for the folder, and dcm2niix's log."""
    tmp = os.path.join(tmp_root, out_name)
    os.makedirs(tmp)
    r = subprocess.run(["dcm2niix", "-z", "y", "-b", "n", "-f", out_name, "-o", tmp, folder],
                       capture_output=True, text=True)
    outputs = sorted(f for f in os.listdir(tmp) if f.endswith(".nii.gz"))
    if not outputs:
        return None, r.stdout + r.stderr
    depth, height, width = entry["shape"]
    a_exp = np.array(entry["affine"], dtype=np.float64).reshape(4, 4)
    exp = np.array(entry["values"], dtype=np.float64).reshape(depth, height, width)  # [k, j, i]
    candidates = []
    for fname in outputs:
        img = nib.load(os.path.join(tmp, fname))
        data = np.asarray(img.get_fdata(dtype=np.float64))
        while data.ndim > 3 and data.shape[-1] == 1:
            data = data[..., 0]
        if data.ndim == 3 and sorted(data.shape) == sorted([depth, height, width]):
            candidates.append((fname, img, data))
    check(len(candidates) == 1, f"{name}: dcm2niix wrote {outputs}, {len(candidates)} of the expected shape\n"
          f"{r.stdout}{r.stderr}")
    fname, img, data = candidates[0]
    a_d = np.asarray(img.affine, dtype=np.float64)
    t = np.linalg.inv(a_d) @ a_exp
    t_int = np.rint(t)
    check(np.abs(t - t_int).max() < 1e-3, f"{name}: inv(A_dcm2niix) @ A_expected is not integral:\n{t}")
    perm = t_int[:3, :3]
    check(np.array_equal(np.abs(perm).sum(axis=0), np.ones(3)) and np.array_equal(np.abs(perm).sum(axis=1),
                                                                                   np.ones(3)),
          f"{name}: not a signed permutation:\n{t}")
    check(np.array_equal(t_int[3], [0, 0, 0, 1]), f"{name}: bad last row:\n{t}")
    aff_err = np.abs(a_d @ t_int - a_exp).max()
    check(aff_err < 1e-4, f"{name}: affines differ by {aff_err} mm\nexpected\n{a_exp}\ndcm2niix\n{a_d}")
    kk, jj, ii = np.meshgrid(np.arange(depth), np.arange(height), np.arange(width), indexing="ij")
    ijk1 = np.stack([ii.ravel(), jj.ravel(), kk.ravel(), np.ones(ii.size)])
    idx = (t_int @ ijk1)[:3].astype(np.int64)
    for ax in range(3):
        check(idx[ax].min() == 0 and idx[ax].max() == data.shape[ax] - 1, f"{name}: index map out of range")
    got = data[idx[0], idx[1], idx[2]]
    want = exp.ravel()
    err = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    # 1e-6 (relative above 1): dcm2niix's float32 output is good to 6e-8, and a 1e-3 relative tolerance
    # would let an off-by-one stored value above 1000 pass.
    check(err.max() <= 1e-6, f"{name}: {int((err > 1e-6).sum())} voxel values differ from dcm2niix "
          f"(worst relative error {err.max()} at flat index {int(err.argmax())}: want {want[err.argmax()]}, "
          f"dcm2niix {got[err.argmax()]})")
    rel = os.path.join("dcm2niix", out_name + ".nii.gz")
    if keep:
        shutil.copyfile(os.path.join(tmp, fname), os.path.join(OUT, rel))
    print(f"  {name}: dcm2niix agrees ({fname}; index map {perm.astype(int).tolist()} + "
          f"{t_int[:3, 3].astype(int).tolist()}, affine error {aff_err:.2e} mm, value error {err.max():.1e})")
    return rel, r.stdout + r.stderr


def dcm2niix_log(folder, tmp_root, out_name):
    tmp = os.path.join(tmp_root, out_name)
    os.makedirs(tmp)
    r = subprocess.run(["dcm2niix", "-z", "y", "-b", "n", "-f", out_name, "-o", tmp, folder],
                       capture_output=True, text=True)
    return r.stdout + r.stderr


def check_refused_fixtures(expected, tmp):
    """The fixtures a reader must refuse show their defect to dcm2niix too (it converts some of them anyway)."""
    log = dcm2niix_log(os.path.join(OUT, "missing-slice"), tmp, "missing-slice")
    check("Interslice distance varies" in log, f"missing-slice: dcm2niix saw no spacing problem:\n{log}")
    log = dcm2niix_log(os.path.join(OUT, "gantry-tilt"), tmp, "gantry-tilt")
    m = re.search(r"Gantry Tilt based on 0018,1120 (\S+), estimated from slice vector (\S+)", log)
    check(m and float(m.group(1)) == 12 and abs(abs(float(m.group(2))) - 12) < 0.01,
          f"gantry-tilt: dcm2niix did not estimate a 12 degree tilt:\n{log}")
    victim = expected["bad-in-series"]["badFile"]
    log = dcm2niix_log(os.path.join(OUT, "bad-in-series"), tmp, "bad-in-series")
    check(re.search(r"File not large enough to store image data: .*" + re.escape(victim), log),
          f"bad-in-series: dcm2niix did not notice {victim} is short:\n{log}")
    # pet-missing-weight differs from pet-suv only by the missing PatientWeight: same geometry and values.
    _, log = dcm2niix_check("pet-missing-weight (as pet-suv)", expected["pet-suv"],
                            os.path.join(OUT, "pet-missing-weight"), tmp, "pet-missing-weight", keep=False)
    print("  missing-slice, gantry-tilt, bad-in-series: dcm2niix reports the same defect")


# ------------------------------------------------------------------------------------- UID / PHI scan


def scan_uids(path):
    ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    found = set()

    def visit(d):
        for elem in d:
            if elem.VR == "SQ":
                for item in elem.value:
                    visit(item)
            elif elem.VR == "UI" and elem.tag != 0x00020012:
                vals = elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue)) else [elem.value]
                for v in vals:
                    if str(v).startswith(ROOT_UID):
                        found.add(str(v))

    visit(ds.file_meta)
    visit(ds)
    return found


# ------------------------------------------------------------------------------------------------ main


def compact_json(obj, indent=0):
    """JSON with sorted keys, one key per line, lists of numbers on one line, integral floats without '.0'
    (the oracle's value lists are long; every JSON number decodes to the same float64)."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        items = [f"{pad}{json.dumps(k)}: {compact_json(obj[k], indent + 1)}" for k in sorted(obj)]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and obj and all(isinstance(x, (int, float)) for x in obj):
        return "[" + ",".join(num(x) for x in obj) + "]"
    if isinstance(obj, list) and obj and any(isinstance(x, (dict, list)) for x in obj):
        return "[\n" + ",\n".join(pad + compact_json(x, indent + 1) for x in obj) + "\n" + " " * indent + "]"
    if isinstance(obj, float):
        return num(obj)
    return json.dumps(obj)


def num(x):
    if isinstance(x, float):
        check(math.isfinite(x), "non-finite number in expected.json")
        if x == int(x) and abs(x) < 2 ** 53:
            return str(int(x))
        return repr(x)
    return str(x)



def clean():
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            if entry == "README.md":
                continue
            p = os.path.join(OUT, entry)
            shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    os.makedirs(D2N, exist_ok=True)
    for f in os.listdir(BAD):
        if f.startswith("dicom-") and f.endswith(".dcm"):
            os.remove(os.path.join(BAD, f))


def main():
    for tool in ("dcm2niix", "gdcmconv", "gdcminfo", "gdcmraw"):
        check(shutil.which(tool), f"{tool} not on PATH (apt-get install dcm2niix libgdcm-tools)")
    clean()
    expected = {}
    stored_by_file = {}
    print(f"pydicom {pydicom.__version__}, nibabel {nib.__version__}, numpy {np.__version__}")
    axial = make_axial_ct(expected, stored_by_file)
    make_transfer_syntax_copies(expected, stored_by_file, axial)
    print("  transfer-syntax copies: gdcminfo syntaxes and gdcmconv --raw pixels agree with axial-ct")
    make_oblique_mr(expected)
    make_two_series(expected)
    make_missing_slice(expected)
    make_gantry_tilt(expected)
    make_localizer(expected)
    make_enhanced_ct(expected)
    make_pet(expected)
    make_bad_in_series(expected)
    make_bad_inputs()

    # dcm2niix oracle check.
    unreadable = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(expected):
            entry = expected[name]
            folder = os.path.join(OUT, name)
            if "error" in entry:
                continue
            if "series" in entry:
                for sub in entry["series"]:
                    out_name = f"{name}_{sub['seriesNumber']}"
                    rel, log = dcm2niix_check(f"{name} series {sub['seriesNumber']}", sub, folder, tmp, out_name)
                    check(rel, f"{name}: dcm2niix wrote nothing:\n{log}")
                    sub["dcm2niix"] = rel
                continue
            rel, log = dcm2niix_check(name, entry, folder, tmp, name)
            if rel is None:
                # Only a compressed copy may be unreadable, and only for want of a decoder in this build.
                check(name.startswith("axial-ct-") and "Unsupported transfer syntax" in log,
                      f"{name}: dcm2niix wrote nothing:\n{log}")
                unreadable.append(name)
                entry["dcm2niixNote"] = ("this dcm2niix build cannot decode " + TS_NAMES[entry["transferSyntax"]]
                                         + "; pixels checked with gdcmconv --raw instead")
            entry["dcm2niix"] = rel
        check_refused_fixtures(expected, tmp)
    if unreadable:
        print(f"  dcm2niix cannot read {unreadable}: checked by gdcmconv --raw only")

    # Every UID written is ours and listed.
    written = set()
    for dirpath, _, files in os.walk(OUT):
        if os.path.basename(dirpath) == "dcm2niix" or dirpath == OUT:
            continue
        for f in files:
            written |= scan_uids(os.path.join(dirpath, f))
    for f in sorted(os.listdir(BAD)):
        if f.startswith("dicom-") and f != "dicom-random-after-preamble.dcm":
            written |= scan_uids(os.path.join(BAD, f))
    unknown = written - UIDS.all
    check(not unknown, f"UIDs written that the script did not make: {sorted(unknown)}")
    unused = UIDS.all - written
    check(not unused, f"UIDs made but written nowhere: {sorted(unused)}")

    strings = [v for k, v in PHI.items() if k != "PatientSex"]
    strings = sorted(set(strings + [SERIES_DESC_PREFIX] + SERIES_DESCRIPTIONS))
    phi = {
        "strings": strings,
        "uids": sorted(UIDS.all),
        "attributes": dict(PHI, SeriesDescription=sorted(SERIES_DESCRIPTIONS)),
        "note": ("strings: every distinctive patient-identifying value written to every fixture and DICOM bad-input file (PatientSex 'F' "
                 "is in attributes only: one letter cannot be searched for). uids: every Study/Series/SOP "
                 "Instance, Frame of Reference and Dimension Organization UID in any fixture (the file meta "
                 f"ImplementationClassUID {IMPLEMENTATION_UID} is not listed: it names the writer, not the "
                 "patient)."),
    }
    with open(os.path.join(OUT, "phi.json"), "w") as f:
        json.dump(phi, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        f.write(compact_json(expected) + "\n")

    with open(os.path.join(OUT, "expected.json")) as f:
        check(json.load(f) == expected, "expected.json does not read back equal")

    total = 0
    for dirpath, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    print(f"wrote {len(expected)} fixtures, {total} bytes under {os.path.relpath(OUT, REPO)}")


if __name__ == "__main__":
    main()
