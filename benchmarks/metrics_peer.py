#!/usr/bin/env python3
"""Peer timings for `medsynth bench metrics`: scikit-image SSIM (defaults, data_range 1) on a 512x512 image and a
256^3 volume, and a scipy HD95 on a pair of 256^3 masks (spacing 0.8 x 0.8 x 1.5 mm; surface by binary erosion,
distance_transform_edt(sampling=...), HD95 as MONAI: the larger directed 95th percentile, numpy linear).

Inputs are the closed-form arrays of Sources/MedMetrics/SyntheticMetricsInputs.swift (bit-identical), so the
printed values must equal the Swift benchmark's. Prints one JSON object. Threads: numpy/scipy here are
single-threaded for these calls (scikit-image SSIM and ndimage do not parallelise); set OMP_NUM_THREADS=2 to
match the project's 2-thread convention anyway.

Usage: python3 benchmarks/metrics_peer.py [--repetitions N] [--volume-side 256] [--image-side 512]
"""
import argparse
import json
import os
import platform
import sys
import time

import numpy as np
from scipy import ndimage as ndi
from skimage.metrics import structural_similarity

# The closed-form inputs of Sources/MedMetrics/SyntheticMetricsInputs.swift live in the fixture script; both
# the fixtures and this benchmark use that one copy.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from make_metrics_fixtures import _hash, synthetic_pair as image_pair  # noqa: E402


def mask_pair(shape):
    """SyntheticMetricsInputs.maskPair: two jittered ellipsoids, integer arithmetic."""
    D, H, W = shape
    k, j, i = np.indices(shape, dtype=np.int64)
    n = (k * H + j) * W + i

    def ellipsoid(c, r, salt):
        rk, rj, ri = (max(x, 1) for x in r)
        rhs = (rk * rj * ri) ** 2
        lhs = (k - c[0]) ** 2 * rj * rj * ri * ri + (j - c[1]) ** 2 * rk * rk * ri * ri + (i - c[2]) ** 2 * rk * rk * rj * rj
        return 1000 * lhs <= rhs * (950 + (_hash(n, salt) % np.uint64(100)).astype(np.int64))

    a = ellipsoid((D // 2, H // 2, W // 2), (D * 35 // 100, H * 31 // 100, W * 27 // 100), 3)
    b = ellipsoid((D // 2 + 3, H // 2 - 2, W // 2 + 1), (D * 33 // 100, H * 33 // 100, W * 28 // 100), 4)
    return a, b


def hd95(a, b, sampling):
    sa, sb = a & ~ndi.binary_erosion(a), b & ~ndi.binary_erosion(b)
    dab = ndi.distance_transform_edt(~sb, sampling=sampling)[sa]
    dba = ndi.distance_transform_edt(~sa, sampling=sampling)[sb]
    # MONAI's HausdorffDistanceMetric(percentile=95): the larger of the two directed 95th percentiles, which is
    # MedSynth's default HD95 convention.
    return float(max(np.percentile(dab, 95), np.percentile(dba, 95)))


def timed(name, reps, f):
    value = f()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        value = f()
        ms.append((time.perf_counter() - t0) * 1000)
    return {"name": name, "median_ms": float(np.median(ms)), "min_ms": float(min(ms)), "repetitions": reps, "value": value}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--volume-side", type=int, default=256)
    ap.add_argument("--image-side", type=int, default=512)
    args = ap.parse_args()
    reps, v, s = max(1, args.repetitions), args.volume_side, args.image_side
    a2, b2 = (x[0] for x in image_pair((1, s, s)))
    a3, b3 = image_pair((v, v, v))
    ma, mb = mask_pair((v, v, v))
    sampling = (1.5, 0.8, 0.8)  # (depth, height, width) = (z, y, x) of MetricsBenchmark.maskSpacingMM
    results = [
        timed(f"ssim_2d_{s}", reps, lambda: float(structural_similarity(a2, b2, data_range=1.0))),
        timed(f"ssim_3d_{v}", max(1, min(reps, 3)), lambda: float(structural_similarity(a3, b3, data_range=1.0))),
        timed(f"hd95_3d_{v}", max(1, min(reps, 3)), lambda: hd95(ma, mb, sampling)),
    ]
    import scipy, skimage
    print(json.dumps({"peer": "scikit-image/scipy", "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                      "skimage": skimage.__version__, "python": platform.python_version()},
                      "threads": os.environ.get("OMP_NUM_THREADS"), "results": results}, indent=1))


if __name__ == "__main__":
    main()
