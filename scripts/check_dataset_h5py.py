#!/usr/bin/env python3
"""Checks a MedSynth HDF5 dataset with h5py alone (no MedSynth code) and prints what it holds.

    python3 scripts/check_dataset_h5py.py FILE.h5

The layout and provenance are those of docs/DATASET_FORMAT.md. The output has four sections:
  ## listing   every group and dataset: kind, dtype, shape, chunks, filters, attribute names (sorted by path;
               MedSynth's filter names: shuffle, deflate(N)) -- the structure, independent of timing and paths
  ## cases     per case: modalities, label values, lesions with their measured volumes
  ## values    per case and volume, the values themselves, computed by numpy in float64 over the stored float32:
                 CASE/NAME min=%.9g max=%.9g mean=%.17g std=%.17g      (images; std is the population std)
                 CASE/label counts VALUE:COUNT,...                       (the label map's histogram, exact)
               (%.9g prints a float32 exactly; PhantomCommandTests recomputes all of it from the file it writes)
  ## checks    every check that ran, and the verdict
Exit status 1 when a check fails.

Checks: root attributes (format, format_version, run_signature = FNV-1a 64 of run_configuration); per case the
provenance attributes and their JSON; every volume float32, 3-D, one chunk per slice, shuffle + deflate, with
modality/unit/spacing_mm/affine; all volumes of a case on one grid; label values in 0..13; per lesion,
voxelCount = the number of lesion-labelled voxels (10..13) in its box, volumeMM3 = voxelCount x |det(affine)|,
the centroid = the mean voxel index of those voxels, and no lesion voxel outside the lesions' boxes.
"""
import json
import sys

import h5py
import numpy as np

MODALITIES = ["CT", "T1", "T2", "FLAIR", "PET", "label"]
CASE_ATTRIBUTES = ["case_index", "command_line", "lesions", "medsynth_version", "phantom_parameters", "seed",
                   "source_case_id", "transforms"]
failures = []
checks = 0


def check(condition, message):
    global checks
    checks += 1
    if not condition:
        failures.append(message)


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "fnv1a64:%016x" % h


def as_str(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def filters(ds):
    out = []
    if ds.shuffle:
        out.append("shuffle")
    if ds.compression == "gzip":
        out.append("deflate(%d)" % ds.compression_opts)
    elif ds.compression:
        out.append(str(ds.compression))
    return out


def listing(f):
    lines = []
    def describe(path, obj):
        attrs = ",".join(sorted(obj.attrs.keys()))
        if isinstance(obj, h5py.Group):
            lines.append((path, "G %s attrs=%s" % (path, attrs)))
        else:
            chunks = "(%s)" % ", ".join(str(c) for c in obj.chunks) if obj.chunks else "none"
            lines.append((path, "D %s %s (%s) chunks=%s filters=%s attrs=%s" % (
                path, obj.dtype.name, ", ".join(str(s) for s in obj.shape), chunks, ",".join(filters(obj)) or "none", attrs)))
    describe("/", f)
    f.visititems(lambda name, obj: describe("/" + name, obj))
    return [line for _, line in sorted(lines)]


def check_case(cid, g):
    for name in CASE_ATTRIBUTES:
        check(name in g.attrs, "%s: missing attribute %s" % (cid, name))
    lesions = json.loads(as_str(g.attrs["lesions"]))
    transforms = json.loads(as_str(g.attrs["transforms"]))
    params = json.loads(as_str(g.attrs["phantom_parameters"]))
    check(isinstance(lesions, list) and isinstance(transforms, list), "%s: lesions/transforms are not JSON arrays" % cid)
    check(params is None or isinstance(params, dict), "%s: phantom_parameters is neither null nor an object" % cid)
    if isinstance(params, dict):
        check(params.get("index") == int(g.attrs["case_index"]) or as_str(g.attrs["source_case_id"]) != "",
              "%s: phantom_parameters index differs from case_index" % cid)
    shapes = set()
    for m in g:
        ds = g[m]
        check(m in MODALITIES, "%s: unexpected dataset %s" % (cid, m))
        check(ds.dtype == np.float32 and ds.ndim == 3, "%s/%s: not a float32 3-D dataset" % (cid, m))
        check(ds.chunks == (1,) + ds.shape[1:], "%s/%s: chunks %s are not one slice" % (cid, m, ds.chunks))
        check(ds.shuffle and ds.compression == "gzip", "%s/%s: not shuffle + deflate" % (cid, m))
        for a in ["modality", "unit", "spacing_mm", "affine", "medsynth_version"]:
            check(a in ds.attrs, "%s/%s: missing attribute %s" % (cid, m, a))
        check(as_str(ds.attrs["modality"]) == m, "%s/%s: modality attribute %s" % (cid, m, as_str(ds.attrs["modality"])))
        shapes.add(ds.shape)
    check(len(shapes) == 1, "%s: volumes of different shapes %s" % (cid, shapes))
    check("label" in g, "%s: no label map" % cid)
    label = g["label"][()]
    values = np.unique(label)
    check(np.all(values == np.round(values)) and values.min() >= 0 and values.max() <= 13,
          "%s: label values %s outside 0..13" % (cid, values))
    affine = np.asarray(g["label"].attrs["affine"]).reshape(4, 4)
    voxel_mm3 = abs(np.linalg.det(affine[:3, :3]))
    is_lesion = (label >= 10) & (label <= 13)
    covered = np.zeros(label.shape, dtype=bool)
    described = []
    for les in lesions:
        box = les["box"]
        k0, j0, i0 = box["originK"], box["originJ"], box["originI"]
        d, h, w = box["shape"]["depth"], box["shape"]["height"], box["shape"]["width"]
        sub = is_lesion[k0:k0 + d, j0:j0 + h, i0:i0 + w]
        covered[k0:k0 + d, j0:j0 + h, i0:i0 + w] = True
        count = int(sub.sum())
        check(count == les["voxelCount"], "%s lesion %d: %d lesion voxels in its box, metadata says %d" % (cid, les["index"], count, les["voxelCount"]))
        check(abs(count * voxel_mm3 - les["volumeMM3"]) <= 1e-6 * max(1.0, les["volumeMM3"]),
              "%s lesion %d: volume %.3f mm3, metadata says %.3f" % (cid, les["index"], count * voxel_mm3, les["volumeMM3"]))
        if count:
            kk, jj, ii = np.nonzero(sub)
            centroid = [kk.mean() + k0, jj.mean() + j0, ii.mean() + i0]
            check(np.allclose(centroid, les["centroidVoxel"], atol=1e-6),
                  "%s lesion %d: centroid %s, metadata says %s" % (cid, les["index"], centroid, les["centroidVoxel"]))
        parts = "+".join("%s %.1f" % (p["region"], p["volumeMM3"]) for p in les.get("subRegions", []))
        described.append("%d voxels %.1f mm3%s" % (count, count * voxel_mm3, " (" + parts + ")" if parts else ""))
    check(not np.any(is_lesion & ~covered), "%s: lesion voxels outside every lesion's box" % cid)
    modalities = ",".join(m for m in MODALITIES if m in g)
    return "%s: %s; shape %s; labels %s; source '%s'; %d lesion(s)%s" % (
        cid, modalities, "x".join(str(s) for s in g["label"].shape), ",".join(str(int(v)) for v in values),
        as_str(g.attrs["source_case_id"]), len(lesions), (": " + "; ".join(described)) if described else "")


def values(cid, g):
    lines = []
    for m in sorted(g.keys()):
        a = g[m][()]
        if m == "label":
            v, n = np.unique(a, return_counts=True)
            lines.append("%s/%s counts %s" % (cid, m, ",".join("%d:%d" % (int(x), int(c)) for x, c in zip(v, n))))
        else:
            lines.append("%s/%s min=%.9g max=%.9g mean=%.17g std=%.17g" % (
                cid, m, float(a.min()), float(a.max()), float(np.mean(a, dtype=np.float64)), float(np.std(a, dtype=np.float64))))
    return lines


def main(path):
    with h5py.File(path, "r") as f:
        root = f.attrs
        check(as_str(root.get("format", "")) == "medsynth-dataset", "root: format is not medsynth-dataset")
        check(int(root.get("format_version", -1)) == 1, "root: format_version is not 1")
        configuration = as_str(root.get("run_configuration", "{}"))
        check(isinstance(json.loads(configuration), dict), "root: run_configuration is not a JSON object")
        check(as_str(root.get("run_signature", "")) == fnv1a64(configuration), "root: run_signature is not FNV-1a 64 of run_configuration")
        print("## listing")
        for line in listing(f):
            print(line)
        print("## cases")
        cases = sorted(f["cases"].keys())
        for cid in cases:
            print(check_case(cid, f["cases"][cid]))
        print("## values")
        for cid in cases:
            for line in values(cid, f["cases"][cid]):
                print(line)
        print("## checks")
        print("%d cases of %d planned; %d checks, %d failed" % (len(cases), int(root.get("case_count", -1)), checks, len(failures)))
        for message in failures:
            print("FAILED: " + message)
    return 0 if not failures else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
