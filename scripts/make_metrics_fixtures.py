#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/metrics/: small image/label pairs (raw little-endian float32, C order
(depth, height, width)) and expected.json with reference values from scikit-image 0.26 / scipy / numpy.

Run from the repository root:  python3 scripts/make_metrics_fixtures.py
Needs numpy, scipy, scikit-image (CI does not: the outputs are committed).

Reference definitions used here (and mirrored in Sources/MedMetrics):
- SSIM: skimage.metrics.structural_similarity itself, on float64 inputs (the definition; also on float32 inputs,
  which skimage computes in float32, stored as *_f32 for information).
- MS-SSIM: a numpy re-implementation of pytorch_msssim.ms_ssim (Gaussian 11 taps, sigma 1.5, valid filtering,
  avg_pool 2 with padding n % 2 counting zeros, relu on cs, weights 0.0448..0.1333), float64. torch is not
  needed; the formula is in ms_ssim_pytorch below.
- SynthRAD 2023 / 2025: numpy re-implementations of the challenges' evaluation definitions (see synthrad_*).
- Segmentation: surface = mask & ~binary_erosion(mask) (face connectivity, outside = background); directed
  distances from distance_transform_edt(~surface_other, sampling=spacing); HD95 = np.percentile(pooled, 95)
  (linear) and MONAI's max of directed percentiles; ASSD = mean of pooled.
- Inputs for MS-SSIM are built by the shared closed formula (synthetic_pair), not stored (too large).
"""
import json
import os

import numpy as np
from scipy import ndimage as ndi
from scipy import stats
from scipy.signal import fftconvolve
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
from skimage.util.arraycrop import crop

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "metrics")
WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])


# --- the closed-form inputs shared with Sources/MedMetrics/SyntheticMetricsInputs.swift -------------------
def _hash(n, salt):
    x = (n.astype(np.uint64) + np.uint64(salt) * np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16); x = (x * np.uint64(0x7FEB352D)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(15); x = (x * np.uint64(0x846CA68B)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return x


def _unit(n, salt):
    return (_hash(n, salt) >> np.uint64(8)).astype(np.float64) * 2.0 ** -24


def synthetic_pair(shape):
    d, h, w = shape
    k, j, i = np.indices(shape, dtype=np.int64)
    n = (k * h + j) * w + i
    tri = lambda t, p: np.abs(t % p - p // 2).astype(np.float64) / (p // 2)
    s = (tri(i, 64) + tri(j, 48) + tri(k, 40)) / 3
    a = (0.6 * s + 0.4 * _unit(n, 1)).astype(np.float32)
    b = (0.85 * a.astype(np.float64) + 0.15 * _unit(n, 2)).astype(np.float32)
    return a, b


# --- reference metric definitions ---------------------------------------------------------------------------
def ssim_ref(x, y, R, mode, mask=None):
    kw = dict(data_range=R, full=True)
    if mode == "wang2004":
        kw.update(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    m, smap = structural_similarity(x, y, **kw)
    out = {"mean": float(m)}
    if mask is not None:
        pad = 3 if mode == "default" else 5
        out["masked"] = float(crop(smap, pad)[crop(mask, pad).astype(bool)].mean(dtype=np.float64))
    return out


def _gauss_valid(x):
    r = 5
    c = np.arange(11) - r
    g = np.exp(-(c ** 2) / (2 * 1.5 ** 2)); g /= g.sum()
    for ax in range(x.ndim):
        x = ndi.correlate1d(x, g, axis=ax, mode="reflect")
    return x[tuple(slice(r, s - r) for s in x.shape)]


def _avg_pool2(x):
    for ax in range(x.ndim):
        n = x.shape[ax]; p = n % 2
        padw = [(0, 0)] * x.ndim; padw[ax] = (p, p)
        xp = np.pad(x, padw)
        m = (n + 2 * p - 2) // 2 + 1
        a = np.take(xp, np.arange(m) * 2, axis=ax); b = np.take(xp, np.arange(m) * 2 + 1, axis=ax)
        x = 0.5 * (a + b)
    return x


def ms_ssim_pytorch(x, y, R):
    x = x.astype(np.float64); y = y.astype(np.float64)
    C1, C2 = (0.01 * R) ** 2, (0.03 * R) ** 2
    vals = []
    for lvl in range(5):
        mx, my = _gauss_valid(x), _gauss_valid(y)
        sxx = _gauss_valid(x * x) - mx * mx; syy = _gauss_valid(y * y) - my * my; sxy = _gauss_valid(x * y) - mx * my
        cs = (2 * sxy + C2) / (sxx + syy + C2)
        ss = (2 * mx * my + C1) / (mx * mx + my * my + C1) * cs
        if lvl < 4:
            vals.append(max(cs.mean(), 0.0))
            x, y = _avg_pool2(x), _avg_pool2(y)
        else:
            vals.append(max(ss.mean(), 0.0))
    return float(np.prod(np.array(vals) ** WEIGHTS))


def synthrad_2023(gt, pred, mask):
    lo, hi = -1024.0, 3000.0
    gt = gt.astype(np.float64); pred = pred.astype(np.float64); m = mask > 0
    mae = float(np.abs(gt[m] - pred[m]).mean())
    psnr = float(peak_signal_noise_ratio(np.clip(gt, lo, hi)[m], np.clip(pred, lo, hi)[m], data_range=hi - lo))
    g = np.where(m, np.clip(gt, lo, hi), lo) - lo
    p = np.where(m, np.clip(pred, lo, hi), lo) - lo
    _, smap = structural_similarity(g, p, data_range=hi - lo, full=True)
    ssim = float(crop(smap, 3)[crop(m, 3)].mean(dtype=np.float64))
    return {"mae": mae, "psnr": psnr, "ssim": ssim}


def _synthrad_level(x, y, R, w):
    nd = x.ndim
    f = lambda a: ndi.uniform_filter(a, size=7)
    NP = 7 ** nd; cn = NP / (NP - 1)
    ux, uy = f(x), f(y)
    vx = cn * (f(x * x) - ux * ux); vy = cn * (f(y * y) - uy * uy); vxy = cn * (f(x * y) - ux * uy)
    sx, sy = np.sqrt(np.clip(vx, 0, None)), np.sqrt(np.clip(vy, 0, None))
    C1, C2 = (0.01 * R) ** 2, (0.03 * R) ** 2; C3 = C2 / 2
    L = np.clip((2 * ux * uy + C1) / (ux * ux + uy * uy + C1), 0, None)
    C = np.clip((2 * sx * sy + C2) / (vx + vy + C2), 0, None)
    S = np.clip((vxy + C3) / (sx * sy + C3), 0, None)
    return L ** w * C ** w * S ** w


def synthrad_2025(gt, pred, mask):
    lo, hi = -1024.0, 3071.0
    m = mask > 0
    gt = np.where(m, gt.astype(np.float64), lo); pred = np.where(m, pred.astype(np.float64), lo)
    mae = float(np.abs(gt[m] - pred[m]).mean())
    psnr = float(peak_signal_noise_ratio(np.clip(gt, lo, hi)[m], np.clip(pred, lo, hi)[m], data_range=hi - lo))
    g = np.clip(gt, lo, hi) - lo; p = np.clip(pred, lo, hi) - lo; mk = m.astype(np.float64)
    padw = [(max((97 - s) // 2, 0), max(97 - s - (97 - s) // 2, 0)) for s in g.shape]
    g, p, mk = (np.pad(a, padw, mode="edge") for a in (g, p, mk))
    box = np.ones((2,) * g.ndim) / 2 ** g.ndim
    scores = []
    for lvl in range(5):
        smap = _synthrad_level(g, p, hi - lo, WEIGHTS[lvl])
        scores.append(float(crop(smap, 3)[crop(mk, 3).astype(bool)].mean(dtype=np.float64)))
        g, p = (fftconvolve(a, box, mode="same") for a in (g, p))
        sl = tuple(slice(None, None, 2) for _ in g.shape)
        g, p, mk = g[sl], p[sl], mk[sl]
    return {"mae": mae, "psnr": psnr, "ms_ssim": float(np.prod(np.clip(scores, 0, 1))), "levels": scores}


def seg_ref(ref, pred, spacing_dhw, label):
    a, b = ref == label, pred == label
    na, nb, both = int(a.sum()), int(b.sum()), int((a & b).sum())
    out = {"label": label, "ref_voxels": na, "pred_voxels": nb}
    if na == 0 and nb == 0:
        out.update(dice=1.0, iou=1.0); return out
    out.update(dice=2 * both / (na + nb), iou=both / (na + nb - both))
    if na == 0 or nb == 0:
        return out
    sa, sb = a & ~ndi.binary_erosion(a), b & ~ndi.binary_erosion(b)
    dab = ndi.distance_transform_edt(~sb, sampling=spacing_dhw)[sa]
    dba = ndi.distance_transform_edt(~sa, sampling=spacing_dhw)[sb]
    pooled = np.concatenate([dab, dba])
    out.update(hd95=float(np.percentile(pooled, 95)),
               hd95_max_directed=float(max(np.percentile(dab, 95), np.percentile(dba, 95))),
               hausdorff=float(pooled.max()), assd=float(pooled.mean()))
    return out


# --- fixtures ------------------------------------------------------------------------------------------------
def save(name, arr):
    np.ascontiguousarray(arr, dtype="<f4").tofile(os.path.join(OUT, name))


def image_pair(rng, shape):
    base = ndi.gaussian_filter(rng.random(shape), 2.0)
    base = (base - base.min()) / (base.max() - base.min())
    edges = (np.indices(shape).sum(0) % 17 < 6).astype(np.float64) * 0.3
    x = np.clip(0.7 * base + edges, 0, 1).astype(np.float32)
    y = np.clip(x + 0.06 * rng.standard_normal(shape) + 0.02, 0, 1).astype(np.float32)
    return x, y


def ball(shape, frac):
    c = [(s - 1) / 2 for s in shape]
    g = np.indices(shape).astype(np.float64)
    r2 = sum(((g[a] - c[a]) / (frac * shape[a])) ** 2 for a in range(len(shape)))
    return r2 <= 1


def image_metrics(x, y, mask):
    xd, yd, m = x.astype(np.float64), y.astype(np.float64), mask.astype(bool)
    e = {}
    for mode in ("default", "wang2004"):
        e[f"ssim_{mode}"] = ssim_ref(xd, yd, 1.0, mode, m)
        e[f"ssim_{mode}_f32"] = ssim_ref(x, y, 1.0, mode)["mean"]
    mse = float(((xd - yd) ** 2).mean())
    e.update(mse=mse, rmse=mse ** 0.5, mae=float(np.abs(xd - yd).mean()),
             psnr=float(peak_signal_noise_ratio(xd, yd, data_range=1.0)),
             ncc=float(np.corrcoef(xd.ravel(), yd.ravel())[0, 1]),
             mae_masked=float(np.abs(xd - yd)[m].mean()),
             psnr_masked=float(10 * np.log10(1.0 / ((xd - yd)[m] ** 2).mean())),
             ncc_masked=float(np.corrcoef(xd[m], yd[m])[0, 1]))
    return e


def ct_case(rng, shape):
    g = np.indices(shape).astype(np.float64)
    body = ball(shape, 0.45)
    bone = ball(shape, 0.18) & (g[-1] > shape[-1] / 2)
    gt = np.where(body, 40 + rng.normal(0, 30, shape), -1000 + rng.normal(0, 20, shape))
    gt = np.where(bone, 1500 + 2000 * rng.random(shape), gt)   # some above 3000 / 3071: exercises clipping
    gt[(0,) * len(shape)] = -1200                                # below -1024
    gt = np.round(gt).astype(np.float32)
    pred = (gt + rng.normal(5, 120, shape) + np.where(bone, -300, 0) + 80 * np.sin(g[-1] / 3)).astype(np.float32)
    mask = ball(shape, 0.40).astype(np.float32)
    return gt, pred, mask


def labels_case(rng, shape):
    ref = np.zeros(shape, np.float32); pred = np.zeros(shape, np.float32)
    ref[ball(shape, 0.35)] = 1
    sh = tuple(min(2, s // 8) for s in shape)
    pred[np.roll(ball(shape, 0.33), sh, axis=tuple(range(len(shape))))] = 1
    g = np.indices(shape)
    ref[(g[-1] < shape[-1] // 3) & (g[-2] < shape[-2] // 3)] = 2
    pred[(g[-1] < shape[-1] // 3 + 1) & (g[-2] < shape[-2] // 3) & (g[0] % 5 != 0)] = 2
    noise = rng.random(shape) < 0.01
    pred[noise & (pred == 0)] = 1
    ref[(g[-1] == shape[-1] - 2) & (g[-2] == shape[-2] - 2)] = 3   # label 3 only in the reference
    return ref, pred


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240611)
    expected = {"format": "raw little-endian float32, C order (depth, height, width)"}
    for name, shape in (("2d", (1, 64, 64)), ("3d", (24, 24, 24))):
        x, y = image_pair(rng, shape)
        mask = ball(shape, 0.38)
        save(f"pair{name}_x.bin", x); save(f"pair{name}_y.bin", y); save(f"pair{name}_mask.bin", mask)
        sq = (lambda a: a[0]) if name == "2d" else (lambda a: a)
        expected[f"pair{name}"] = {"shape": list(shape), **image_metrics(sq(x), sq(y), sq(mask))}
    for name, shape in (("2d", (1, 176, 192)), ("3d", (161, 164, 170))):
        a, b = synthetic_pair(shape)
        sq = (lambda t: t[0]) if name == "2d" else (lambda t: t)
        expected[f"msssim_synthetic_{name}"] = {"shape": list(shape), "ms_ssim": ms_ssim_pytorch(sq(a), sq(b), 1.0),
                                                "ssim_default": float(structural_similarity(sq(a).astype(np.float64), sq(b).astype(np.float64), data_range=1.0)),
                                                "a_sum": float(a.astype(np.float64).sum()), "b_sum": float(b.astype(np.float64).sum())}
    for name, shape in (("2d", (1, 40, 48)), ("3d", (20, 26, 30))):
        gt, pred, mask = ct_case(rng, shape)
        save(f"ct{name}_gt.bin", gt); save(f"ct{name}_pred.bin", pred); save(f"ct{name}_mask.bin", mask)
        sq = (lambda t: t[0]) if name == "2d" else (lambda t: t)
        expected[f"ct{name}"] = {"shape": list(shape), "synthrad2023": synthrad_2023(sq(gt), sq(pred), sq(mask)),
                                 "synthrad2025": synthrad_2025(sq(gt), sq(pred), sq(mask))}
    for name, shape, spacing_xyz in (("2d", (1, 40, 36), (0.7, 1.3, 1.0)), ("3d", (20, 24, 28), (0.8, 1.1, 2.5))):
        ref, pred = labels_case(rng, shape)
        save(f"seg{name}_ref.bin", ref); save(f"seg{name}_pred.bin", pred)
        sq = (lambda t: t[0]) if name == "2d" else (lambda t: t)
        sampling = spacing_xyz[::-1][-len(sq(ref).shape):]
        expected[f"seg{name}"] = {"shape": list(shape), "spacing_xyz": list(spacing_xyz),
                                  "labels": [seg_ref(sq(ref), sq(pred), sampling, l) for l in (1, 2, 3)]}
    expected["student_t"] = [{"df": df, "p": p, "t": float(stats.t.ppf(p, df))}
                             for df in (1, 2, 3, 4, 5, 7, 10, 19, 30, 100, 1000) for p in (0.975, 0.995, 0.9)]
    sample = [64.8, 58.1, 71.3, 49.9, 88.2, 61.0, 55.5]
    lo, hi = stats.t.interval(0.95, len(sample) - 1, loc=np.mean(sample), scale=stats.sem(sample))
    expected["summary"] = {"values": sample, "mean": float(np.mean(sample)), "std": float(np.std(sample, ddof=1)),
                           "median": float(np.median(sample)), "ci_lower": float(lo), "ci_upper": float(hi)}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


if __name__ == "__main__":
    main()
