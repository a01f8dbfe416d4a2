#!/usr/bin/env python3
"""Reference values for Tests/MedMetricsTests/PairedComparisonTests.swift: for each fixed case, the used pairs,
the mean, sample SD and t-interval of the differences (treatment - baseline), and scipy.stats.wilcoxon with its
defaults. The test states the same numbers as hand computations; this script checks them independently.
Usage: python3 scripts/make_paired_comparison_reference.py   (needs numpy and scipy; run with scipy 1.17.1)
"""
import math

import numpy as np
import scipy
from scipy.stats import t as student_t
from scipy.stats import wilcoxon

nan, inf = float("nan"), float("inf")
CASES = {
    # name: (treatment, baseline, alpha)
    "diceAllBetter": ([0.72, 0.70, 0.81, 0.76, 0.66, 0.78], [0.70, 0.65, 0.80, 0.72, 0.60, 0.75], 0.05),
    "diceMixed": ([0.80, 0.73, 0.85, 0.65, 0.90, 0.78], [0.70, 0.70, 0.70, 0.70, 0.70, 0.70], 0.05),
    "hd95WithUndefined": ([10, 7, None, 11, 8.5, inf, 14, 10.25, 3],
                          [12, 8, 5, 15, 9, 6, 20, 11, nan], 0.05),
    "meanZero": ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, -66], [0] * 12, 0.05),
    "withZeroDifference": ([0, 1, 2, 3, 4, -0.5], [0] * 6, 0.05),
    "fifteenGains": ([float(k) for k in range(1, 16)], [0.0] * 15, 0.05),
}

print(f"# numpy {np.__version__}, scipy {scipy.__version__}")
for name, (treatment, baseline, alpha) in CASES.items():
    pairs = [(a, b) for a, b in zip(treatment, baseline)
             if a is not None and b is not None and math.isfinite(a) and math.isfinite(b)]
    d = np.array([a - b for a, b in pairs], dtype=float)
    n = len(d)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    q = float(student_t.ppf(1 - alpha / 2, n - 1))
    half = q * sd / math.sqrt(n)
    r = wilcoxon(d)
    print(f"{name}: count={n} dropped={len(treatment) - n} mean={mean!r} sd={sd!r} median={float(np.median(d))!r}")
    print(f"    t_{{{1 - alpha / 2},{n - 1}}}={q!r} ci=({mean - half!r}, {mean + half!r})")
    print(f"    wilcoxon statistic={float(r.statistic)!r} p={float(r.pvalue)!r}")
