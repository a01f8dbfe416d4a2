#!/usr/bin/env python3
"""Reference values for Tests/MedMetricsTests/WilcoxonTests.swift: scipy.stats.wilcoxon with its defaults
(zero_method="wilcox", correction=False, method="auto") on fixed inputs covering each of scipy's paths (exact,
exhaustive permutation with ties or zeros, normal approximation). Prints Swift literals to paste into the test.
Usage: python3 scripts/make_wilcoxon_reference.py   (needs scipy; the values in the test came from scipy 1.17.1)
"""
import numpy as np
import scipy
from scipy.stats import wilcoxon

CASES = {
    "exactNine": ([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30],
                  [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]),
    "exactTwenty": ([float(v) for v in np.round(np.random.default_rng(1).normal(0.2, 1, 20), 3)], None),
    "tiesPermutation": ([1, 2, 2, 3, -1, 4, 5, -2, 6, 2], None),
    "zerosPermutation": ([0.05, -0.01, 0.09, 0.02, 0.07, 0.0, 0.02], None),
    "tiesAndZerosNormal": ([float(v) for v in np.round(np.random.default_rng(0).normal(0.3, 1, 60), 1)], None),
    "untiedNormal": ([float(v) for v in np.random.default_rng(2).normal(-0.1, 1, 70).round(6)], None),
}

print(f"// scipy {scipy.__version__}")
for name, (x, y) in CASES.items():
    r = wilcoxon(x, y) if y is not None else wilcoxon(x)
    ys = "nil" if y is None else "[" + ", ".join(repr(v) for v in y) + "]"
    print(f'("{name}", [{", ".join(repr(v) for v in x)}], {ys}, {float(r.statistic)!r}, {float(r.pvalue)!r}),')
