#!/usr/bin/env python3
"""Cross-checks the segmentation values in Tests/Fixtures/metrics/expected.json (scipy-based, written by
scripts/make_metrics_fixtures.py) against MONAI's own metrics on the same label maps:

  DiceMetric(include_background=True, reduction="none")                 vs  dice
  HausdorffDistanceMetric(percentile=95, include_background=True)       vs  hd95_max_directed (and hd95, pooled)
  SurfaceDistanceMetric(symmetric=True, include_background=True)        vs  assd

Each label map is one-hot encoded per label (label l vs everything else), voxel spacing is passed to MONAI
(`spacing=`, in the array's axis order: (depth, height, width) = (z, y, x) mm). Distances are only compared
where both masks are non-empty (MONAI returns inf/nan otherwise, expected.json has no value).

MONAI returns float32 values (its distance maps are float64, the results are cast), so agreement is to about
1e-7 relative; the default tolerance is 1e-6. MONAI's HD95 is the larger of the two directed 95th percentiles,
so it equals `hd95_max_directed`; the pooled `hd95` is shown for information and differs where the two
directions differ.

Run from the repository root:  python3 scripts/check_metrics_against_monai.py [--tolerance 1e-6]
Prints a table and exits 1 if a value differs by more than the relative tolerance.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "Fixtures", "metrics")


def load(name, shape):
    """Raw little-endian float32, C order (depth, height, width), as make_metrics_fixtures.py writes."""
    return np.fromfile(os.path.join(FIXTURES, name), dtype="<f4").reshape(shape)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tolerance", type=float, default=1e-6, help="relative tolerance (default 1e-6)")
    args = p.parse_args()
    import monai
    from monai.metrics import DiceMetric, HausdorffDistanceMetric, SurfaceDistanceMetric

    path = os.path.join(FIXTURES, "expected.json")
    if not os.path.exists(path):
        sys.exit(f"{path} not found: run scripts/make_metrics_fixtures.py first")
    with open(path) as f:
        expected = json.load(f)
    print(f"MONAI {monai.__version__}, torch {torch.__version__}; expected values from {os.path.relpath(path)}")
    header = f"{'case':6} {'label':>5} {'metric':18} {'expected':>20} {'MONAI':>20} {'rel diff':>10}  verdict"
    print(header)
    print("-" * len(header))
    failures = 0
    for case in ("seg2d", "seg3d"):
        e = expected[case]
        shape = tuple(e["shape"])
        ref, pred = load(f"{case}_ref.bin", shape), load(f"{case}_pred.bin", shape)
        spacing = tuple(e["spacing_xyz"][::-1])
        if shape[0] == 1:                       # a 2-D case stored as depth 1: MONAI sees (height, width)
            ref, pred, spacing = ref[0], pred[0], spacing[1:]
        for lab in e["labels"]:
            label = lab["label"]
            y = torch.from_numpy((ref == label).astype(np.float32))[None, None]
            yp = torch.from_numpy((pred == label).astype(np.float32))[None, None]
            rows = [("dice", "dice", DiceMetric(include_background=True, reduction="none"), {})]
            if lab["ref_voxels"] > 0 and lab["pred_voxels"] > 0:
                hd = HausdorffDistanceMetric(include_background=True, percentile=95, reduction="none")
                asd = SurfaceDistanceMetric(include_background=True, symmetric=True, reduction="none")
                rows += [("hd95_max_directed", "hd95", hd, {"spacing": spacing}),
                         ("hd95 (pooled)", None, None, None),
                         ("assd", "assd", asd, {"spacing": spacing})]
            hd_value = None
            for name, key, metric, kw in rows:
                if metric is None:              # MONAI has no pooled percentile: show how far it is from it
                    exp, got = lab["hd95"], hd_value
                    rel = abs(got - exp) / max(abs(exp), 1e-12)
                    print(f"{case:6} {label:>5} {name:18} {exp:>20.12g} {got:>20.12g} {rel:>10.2e}  "
                          f"{'same' if rel <= args.tolerance else 'differs (expected: MONAI takes the max of directed percentiles)'}")
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = float(metric(yp, y, **kw).reshape(-1)[0])
                if key == "hd95":
                    hd_value = got
                    exp = lab["hd95_max_directed"]
                else:
                    exp = lab[key]
                rel = abs(got - exp) / max(abs(exp), 1e-12)
                ok = rel <= args.tolerance
                failures += not ok
                print(f"{case:6} {label:>5} {name:18} {exp:>20.12g} {got:>20.12g} {rel:>10.2e}  "
                      f"{'OK' if ok else 'MISMATCH'}")
    print("-" * len(header))
    print("all MONAI values equal expected.json" if not failures else f"{failures} value(s) differ")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
