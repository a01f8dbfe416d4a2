#!/usr/bin/env python3
"""PyTorch CPU peer of `medsynth translate` on a NIfTI volume: load the generator, read the NIfTI, translate every
axial slice in batches under torch.no_grad(), write the NIfTI — timed from loading the weights to the written file.

The generator is the reference CycleGAN ResnetGenerator (pytorch-CycleGAN-and-pix2pix `models/networks.py`, as
scripts/make_torch_network_fixtures.py defines it, same state_dict keys), built from the architecture recorded in
a MedSynth checkpoint and loaded with its weights, read with h5py (only the chosen network's tensors are read; the
checkpoint's other networks and optimizer states are not touched). The translation follows the checkpoint's
translator description exactly as MedSynth does:
  1. normalise with the input modality's rule (CT: fixed HU window; PET: SUV scaling; MR: the volume's
     percentiles with numpy's linear rule, or z-score), clipped to [-1, 1], computed in float64, stored float32;
  2. pad height and width up to a multiple of the side multiple (4 for the ResNet generator; the smaller half
     before, the larger after) by reflection (F.pad mode="reflect") or by repeating the edge ("replicate");
  3. G(x) on batches of `--batch` slices [N, 1, H, W] under torch.no_grad(), the network in eval mode;
  4. crop back and map [-1, 1] to physical units with the output window: lower + (n + 1)/2 * (upper - lower);
  5. write float32 NIfTI with nibabel, keeping the input's affine and header (data type float32).

Usage:
  python3 benchmarks/torch_translate.py --checkpoint C.h5 --in ct.nii.gz --out t1_torch.nii.gz [--batch 8]
         [--threads 2] [--direction AtoB] [--padding reflect]
Prints one JSON object (seconds, load/read/translate/write seconds, slices, slices/s, peak RSS).
Needs: pip install torch h5py nibabel numpy.
"""
import argparse
import json
import os
import platform
import resource
import sys
import time

import h5py
import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
from make_torch_network_fixtures import ResnetGenerator  # noqa: E402


def load_generator(path, direction):
    """(network in eval mode, translator description) from a MedSynth checkpoint."""
    with h5py.File(path, "r") as f:
        description = json.loads(f["training_state/strings"].attrs["translator"])
        name = description["generators"][direction]
        architectures = json.loads(f.attrs["architecture"])
        arch = architectures[name] if "networks" in f.attrs else architectures
        if arch["class"] != "ResnetGenerator":
            sys.exit(f"{path}: network {name} is a {arch['class']}; this peer script builds ResnetGenerator only")
        net = ResnetGenerator(arch["input_nc"], arch["output_nc"], arch["ngf"], norm=arch["norm"],
                              use_dropout=arch["use_dropout"], n_blocks=arch["n_blocks"],
                              padding_type=arch["padding_type"])
        prefix = name + "."
        state = {}
        for group in ("parameters", "buffers"):
            for key in f[group]:
                if key.startswith(prefix):
                    state[key[len(prefix):]] = torch.from_numpy(np.asarray(f[group][key]))
    net.load_state_dict(state, strict=True)
    net.eval()
    return net, description


def fit_window(rule, volume):
    """The window [lower, upper] of an IntensityNormalization rule (flat JSON form) for this volume."""
    method = rule["method"]
    if method == "ctWindow":
        return rule["lowerHU"], rule["upperHU"]
    if method == "suvScaling":
        return 0.0, rule["maxSUV"]
    if method == "percentiles":
        lo, hi = np.percentile(volume, [rule["lowerPercentile"], rule["upperPercentile"]])
        return float(lo), float(hi)
    if method == "zScore":
        mean, std = float(volume.mean(dtype=np.float64)), float(volume.std(dtype=np.float64))
        return mean - rule["clipSigma"] * std, mean + rule["clipSigma"] * std
    sys.exit(f"unknown normalization method {method!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--in", dest="input", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"])
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--padding", default="reflect", choices=["reflect", "edge"])
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    net, description = load_generator(args.checkpoint, args.direction)
    t_load = time.perf_counter()

    img = nib.load(args.input)
    volume = np.ascontiguousarray(img.get_fdata(dtype=np.float32).transpose(2, 1, 0))  # [depth][height][width]
    t_read = time.perf_counter()

    a_to_b = args.direction == "AtoB"
    rule = description["normalizationA" if a_to_b else "normalizationB"]
    output = description["outputMappingB" if a_to_b else "outputMappingA"]
    lower, upper = fit_window(rule, volume)
    width = upper - lower
    normalized = np.clip((2 * (volume.astype(np.float64) - lower) - width) / width, -1, 1).astype(np.float32)
    depth, height, wide = normalized.shape
    # As MedSynth: sides rounded up to the side multiple (and 4, the ResNet generator's), at least 8 (the residual
    # blocks' reflection at a quarter of the size needs 2 pixels).
    multiple = int(np.lcm(4, description["sideMultiple"]))
    smallest = -(-8 // multiple) * multiple
    ph, pw = (max(-(-side // multiple) * multiple, smallest) for side in (height, wide))
    top, left = (ph - height) // 2, (pw - wide) // 2
    pad = (left, pw - wide - left, top, ph - height - top)
    mode = "reflect" if args.padding == "reflect" else "replicate"
    result = np.empty_like(normalized)
    with torch.no_grad():
        for k in range(0, depth, args.batch):
            x = torch.from_numpy(normalized[k:k + args.batch, None])
            if any(pad):
                x = F.pad(x, pad, mode=mode)
            y = net(x)[:, 0, top:top + height, left:left + wide]
            result[k:k + args.batch] = y.numpy()
    lo_out, hi_out = output["lowerValue"], output["upperValue"]
    physical = (lo_out + (np.clip(result.astype(np.float64), -1, 1) + 1) * ((hi_out - lo_out) / 2)).astype(np.float32)
    t_translate = time.perf_counter()

    header = img.header.copy()
    header.set_data_dtype(np.float32)
    out = type(img)(np.ascontiguousarray(physical.transpose(2, 1, 0)), img.affine, header)  # Nifti1Image or Nifti2Image
    out.header.set_slope_inter(1, 0)
    nib.save(out, args.out)
    t_write = time.perf_counter()

    seconds = t_write - t0
    print(json.dumps({
        "benchmark": "translate_pytorch", "torch": torch.__version__, "python": platform.python_version(),
        "threads": args.threads, "batch": args.batch, "slices": depth, "height": height, "width": wide,
        "seconds": round(seconds, 3), "load_seconds": round(t_load - t0, 3), "read_seconds": round(t_read - t_load, 3),
        "translate_seconds": round(t_translate - t_read, 3), "write_seconds": round(t_write - t_translate, 3),
        "slices_per_second": round(depth / seconds, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
