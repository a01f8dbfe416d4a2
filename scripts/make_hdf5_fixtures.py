#!/usr/bin/env python3
"""HDF5 interop fixtures for MedSynth's tests, and a checker for MedSynth-written volume files.

    python3 scripts/make_hdf5_fixtures.py            # (re)write the fixtures below (needs numpy, h5py)
    python3 scripts/make_hdf5_fixtures.py --check F  # check that F follows MedSynth's HDF5 volume layout

The tests only read the committed files; CI needs no Python. Every value is a formula of its indices, so the
Swift tests (Tests/MedIOTests/HDF5InteropTests.swift) recompute them instead of storing expected arrays.

Tests/Fixtures/io/hdf5/h5py-interop.h5 (written with h5py's default libver "earliest", so HDF5 1.10 reads it):
  /volumes/ct_int16     int16 (4, 5, 6), chunks (1, 5, 6), shuffle + gzip 4;
                        value[k, j, i] = 100*k + 10*j + i - 300
      attrs: spacing_mm  float64 [2.5, 0.8, 0.7]          (a float array)
             slice_count int64 4                          (an int)
             modality    np.bytes_ b"CT"                  (a fixed-length byte string, NULLPAD, ASCII)
             description str "h5py fixture: CT, µ-units"  (a variable-length UTF-8 str)
             unit        str "HU"
  /images/map_f64       float64 (3, 7), contiguous, no attributes;
                        value[j, i] = 0.5*j - 0.25*i + 0.125 + j*i/3   (j*i/3 is inexact: tests float64 bits)
  /misc/vector_f32      float32 (5,) = [0, 1, 2, 3, 4]        (1-D: not a volume)
  /misc/stack_u8        uint8 (2, 2, 2, 2) = arange(16)       (4-D: not a volume)
  /misc/names           variable-length str (2,) ["a", "b"]   (strings: not a volume)
  /misc/growing         float32 (2, 3), maxshape (None, 3), chunks (1, 3); value[r, c] = 10*r + c
  /misc/huge_maxshape   float32 (1, 4, 4) zeros (never written), maxshape (None, 2**40, 2**40), chunks (1, 4, 4):
                        a valid volume whose maximum shape is absurd; reading its current shape is fine
  /links/ct_alias       soft link to /volumes/ct_int16
  /links/elsewhere      external link to missing.h5:/x (must be listed, never followed)
  root attrs: creator np.bytes_ b"make_hdf5_fixtures.py", fixture_version int 1

Tests/Fixtures/bad-input/ (each must give a MedSynthError naming the file, never a crash):
  zero-bytes.h5              empty file
  random-bytes.h5            4096 seeded random bytes
  truncated.h5               the first 2048 bytes of a valid 40 KB HDF5 file
  huge-shape-unallocated.h5  /huge float32 (65536, 65536, 65536) chunked (1, 256, 256), never written (fill
                             value only, so the file is tiny): a whole read must be refused by the size limit
  overflow-shape-unallocated.h5
                             /huge float32 (2**21, 2**21, 2**21), chunked (1, 256, 256), never written: the
                             element count (2**63) overflows a signed 64-bit integer
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")
INTEROP = os.path.join(ROOT, "io", "hdf5", "h5py-interop.h5")
BAD = os.path.join(ROOT, "bad-input")


def write_interop(path):
    import h5py
    k, j, i = np.meshgrid(np.arange(4), np.arange(5), np.arange(6), indexing="ij")
    ct = (100 * k + 10 * j + i - 300).astype(np.int16)
    jj, ii = np.meshgrid(np.arange(3), np.arange(7), indexing="ij")
    f64 = 0.5 * jj - 0.25 * ii + 0.125 + jj * ii / 3.0
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        f.attrs["creator"] = np.bytes_(b"make_hdf5_fixtures.py")
        f.attrs["fixture_version"] = np.int64(1)
        d = f.create_dataset("volumes/ct_int16", data=ct, chunks=(1, 5, 6), shuffle=True, compression="gzip",
                             compression_opts=4)
        d.attrs["spacing_mm"] = np.array([2.5, 0.8, 0.7], dtype=np.float64)
        d.attrs["slice_count"] = np.int64(4)
        d.attrs["modality"] = np.bytes_(b"CT")
        d.attrs["description"] = "h5py fixture: CT, \u00b5-units"
        d.attrs["unit"] = "HU"
        f.create_dataset("images/map_f64", data=f64)
        f.create_dataset("misc/vector_f32", data=np.arange(5, dtype=np.float32))
        f.create_dataset("misc/stack_u8", data=np.arange(16, dtype=np.uint8).reshape(2, 2, 2, 2))
        f.create_dataset("misc/names", data=["a", "b"], dtype=h5py.string_dtype())
        r, c = np.meshgrid(np.arange(2), np.arange(3), indexing="ij")
        f.create_dataset("misc/growing", data=(10 * r + c).astype(np.float32), maxshape=(None, 3), chunks=(1, 3))
        f.create_dataset("misc/huge_maxshape", shape=(1, 4, 4), maxshape=(None, 2**40, 2**40), dtype=np.float32,
                         chunks=(1, 4, 4))
        f["links/ct_alias"] = h5py.SoftLink("/volumes/ct_int16")
        f["links/elsewhere"] = h5py.ExternalLink("missing.h5", "/x")


def write_bad(folder):
    import h5py
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "zero-bytes.h5"), "wb").close()
    rng = np.random.default_rng(20261121)
    with open(os.path.join(folder, "random-bytes.h5"), "wb") as out:
        out.write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    full = os.path.join(folder, "full.tmp.h5")
    with h5py.File(full, "w", libver="earliest") as f:
        f.create_dataset("volume", data=np.arange(10 * 32 * 32, dtype=np.float32).reshape(10, 32, 32))
    with open(full, "rb") as src:
        head = src.read(2048)
    os.remove(full)
    with open(os.path.join(folder, "truncated.h5"), "wb") as out:
        out.write(head)
    with h5py.File(os.path.join(folder, "huge-shape-unallocated.h5"), "w", libver="earliest") as f:
        f.create_dataset("huge", shape=(65536, 65536, 65536), dtype=np.float32, chunks=(1, 256, 256))
    with h5py.File(os.path.join(folder, "overflow-shape-unallocated.h5"), "w", libver="earliest") as f:
        f.create_dataset("huge", shape=(2**21, 2**21, 2**21), dtype=np.float32, chunks=(1, 256, 256))


def check(path):
    """Asserts MedSynth's volume layout (docs/DATASET_FORMAT.md) and prints what it found."""
    import h5py
    known = {"CT", "T1", "T2", "FLAIR", "PET", "label", "image"}
    units = {"HU", "SUV", "arbitrary", "label"}
    problems = []
    n = 0

    def expect(cond, what):
        if not cond:
            problems.append(what)

    with h5py.File(path, "r") as f:
        print(f"{path}: root attrs {dict(f.attrs)}")
        expect("cases" in f, "no /cases group")
        for case in sorted(f.get("cases", {})):
            for name, ds in sorted(f["cases"][case].items()):
                n += 1
                p = ds.name
                expect(isinstance(ds, h5py.Dataset), f"{p}: not a dataset")
                expect(name in known, f"{p}: dataset name {name!r} is not a modality name")
                expect(ds.dtype == np.float32, f"{p}: dtype {ds.dtype}, expected float32")
                expect(ds.ndim == 3, f"{p}: shape {ds.shape}, expected 3-D (depth, height, width)")
                expect(ds.chunks == (1,) + ds.shape[1:], f"{p}: chunks {ds.chunks}, expected (1, H, W)")
                a = ds.attrs
                for key in ("modality", "unit", "spacing_mm", "affine", "medsynth_version"):
                    expect(key in a, f"{p}: missing attribute {key}")
                if not all(k in a for k in ("modality", "unit", "spacing_mm", "affine", "medsynth_version")):
                    continue
                expect(isinstance(a["modality"], str), f"{p}: modality is {type(a['modality'])}, expected str")
                expect(isinstance(a["unit"], str) and a["unit"] in units, f"{p}: unit {a['unit']!r}")
                expect(isinstance(a["medsynth_version"], str), f"{p}: medsynth_version not a str")
                expected_modality = "unknown" if name == "image" else name
                expect(a["modality"] == expected_modality, f"{p}: modality {a['modality']!r} != {expected_modality!r}")
                sp = np.asarray(a["spacing_mm"])
                af = np.asarray(a["affine"])
                expect(sp.dtype == np.float64 and sp.shape == (3,), f"{p}: spacing_mm {sp.dtype}{sp.shape}")
                expect(af.dtype == np.float64 and af.shape == (16,), f"{p}: affine {af.dtype}{af.shape}")
                m = af.reshape(4, 4)
                expect(np.allclose(m[3], [0, 0, 0, 1]), f"{p}: affine last row {m[3]}")
                cols = np.linalg.norm(m[:3, :3], axis=0)  # spacing along i (x), j (y), k (z)
                expect(np.allclose(cols[::-1], sp, rtol=1e-6), f"{p}: spacing_mm {sp} != affine column norms (z,y,x) {cols[::-1]}")
                filters = [k for k in ("shuffle",) if getattr(ds, k)] + ([f"{ds.compression}({ds.compression_opts})"] if ds.compression else [])
                middle = ds[ds.shape[0] // 2]  # one slice, read alone
                print(f"  {p}: float32 {ds.shape} chunks {ds.chunks} filters {filters} modality={a['modality']} "
                      f"unit={a['unit']} spacing_mm={sp.tolist()} origin={m[:3, 3].tolist()} "
                      f"middle-slice mean={float(middle.mean()):.4g} version={a['medsynth_version']}")
    expect(n > 0, "no volumes under /cases")
    if problems:
        print("LAYOUT PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    print(f"OK: {n} volume(s) follow the MedSynth HDF5 layout")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", metavar="FILE", help="check a MedSynth-written HDF5 volume file")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.check))
    os.makedirs(os.path.dirname(INTEROP), exist_ok=True)
    write_interop(INTEROP)
    write_bad(BAD)
    for p in [INTEROP] + sorted(os.path.join(BAD, n) for n in os.listdir(BAD) if n.endswith(".h5")):
        print(f"{os.path.getsize(p):8d}  {os.path.relpath(p)}")


if __name__ == "__main__":
    main()
