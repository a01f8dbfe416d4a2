#!/usr/bin/env python3
"""Runs `medsynth translate` and benchmarks/torch_translate.py (PyTorch CPU) alternately on the same NIfTI input and
the same CycleGAN checkpoint, and prints the medians and the MedSynth/PyTorch time ratio (below 1: MedSynth is
faster).

The input and checkpoint come from `medsynth bench translate --prepare-only`: a head-phantom CT of 128 slices of
256×256 (int16 .nii.gz) and a full-size CycleGAN (ResNet-9 generators, ngf 64, instance norm; the checkpoint holds
G_A, G_B, D_A, D_B and both Adam optimizers with their moments after one training step, as `medsynth train` writes
it; PyTorch reads only G_A's tensors from it with h5py). Both sides run
G_A (CT → T1) over every slice in batches of --batch under no-grad, with the same normalisation, padding and
output window, and write a float32 .nii.gz; each side's own figure is the time from loading the weights to the
written NIfTI (process start and `import torch` excluded; the process wall time is reported too). Rounds
alternate which side goes first; the load average (1 min) before each round is printed, since the machine may be
shared. At the end the two outputs are compared voxel by voxel (the same weights and input: they must agree to
float rounding).

Usage:
  python3 benchmarks/compare_translate.py [--rounds 3] [--batch 8] [--threads 2] [--dir Outputs/bench-translate]
         [--size 256 --depth 128 --ngf 64 --blocks 9] [--medsynth .build/release/medsynth] [--json FILE]
Needs: a release build of medsynth; pip install torch h5py nibabel numpy.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def run_json(cmd, env):
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout), wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dir", default=str(ROOT / "Outputs/bench-translate"))
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--depth", type=int, default=128)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    ap.add_argument("--json", help="also write all per-round results here")
    args = ap.parse_args()
    env = dict(os.environ, MEDSYNTH_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               OMP_NUM_THREADS=str(args.threads))
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    prepared, _ = run_json([args.medsynth, "bench", "translate", "--prepare-only", "--json", "--dir", str(folder),
                            "--size", str(args.size), "--depth", str(args.depth), "--ngf", str(args.ngf),
                            "--blocks", str(args.blocks)], env)
    checkpoint, source = prepared["checkpoint"], prepared["input"]
    out_ours, out_peer = folder / "t1_medsynth.nii.gz", folder / "t1_pytorch.nii.gz"

    def medsynth():
        r, wall = run_json([args.medsynth, "translate", "--checkpoint", checkpoint, "--in", source, "--out", str(out_ours),
                            "--batch", str(args.batch), "--json"], env)
        return {"seconds": r["seconds"], "translate_seconds": r["translateSeconds"], "wall": wall}

    def pytorch():
        r, wall = run_json([sys.executable, str(ROOT / "benchmarks/torch_translate.py"), "--checkpoint", checkpoint,
                            "--in", source, "--out", str(out_peer), "--batch", str(args.batch),
                            "--threads", str(args.threads)], env)
        return {"seconds": r["seconds"], "translate_seconds": r["translate_seconds"], "wall": wall,
                "load": r["load_seconds"], "read": r["read_seconds"], "write": r["write_seconds"]}

    ours, peer, loads = [], [], []
    for r in range(args.rounds):
        loads.append(round(os.getloadavg()[0], 2))
        t = time.time()
        if r % 2 == 0:
            ours.append(medsynth())
            peer.append(pytorch())
        else:
            peer.append(pytorch())
            ours.append(medsynth())
        print(f"round {r + 1}/{args.rounds} in {time.time() - t:.0f} s (load before {loads[-1]}): "
              f"MedSynth {ours[-1]['seconds']:.2f} s, PyTorch {peer[-1]['seconds']:.2f} s", file=sys.stderr)

    load_after = round(os.getloadavg()[0], 2)
    a, b = nib.load(str(out_ours)), nib.load(str(out_peer))
    difference = float(np.max(np.abs(a.get_fdata(dtype=np.float32) - b.get_fdata(dtype=np.float32))))
    affine_equal = bool(np.allclose(a.affine, b.affine, atol=1e-5))

    def med(side, key):
        return statistics.median(x[key] for x in side)

    slices = prepared["slices"]
    print(f"Translation of {slices} slices of {prepared['height']}×{prepared['width']} through a CycleGAN ResNet "
          f"generator (ngf {prepared['ngf']}, {prepared['n_blocks']} blocks), batch {args.batch}, {args.threads} threads, "
          f"{args.rounds} rounds; load average (1 min) before each round: {loads}, after the last: {load_after}.\n")
    print("| measure | PyTorch | MedSynth | ratio |")
    print("|---|---|---|---|")
    for label, key in [("load → written NIfTI, s (median)", "seconds"), ("of which translation, s", "translate_seconds"),
                       ("process wall time, s", "wall")]:
        p, o = med(peer, key), med(ours, key)
        print(f"| {label} | {p:.2f} | {o:.2f} | {o / p:.2f} |")
    p, o = med(peer, "seconds"), med(ours, "seconds")
    print(f"| slices/s | {slices / p:.2f} | {slices / o:.2f} | {p / o:.2f} |")
    print(f"\nPer round (s, load → written): " + ", ".join(
        f"{i + 1}: PyTorch {x['seconds']:.2f} / MedSynth {y['seconds']:.2f}" for i, (x, y) in enumerate(zip(peer, ours))))
    print(f"Outputs: max |MedSynth − PyTorch| = {difference:.3g} (output units), affines equal: {affine_equal}.")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"loads": loads, "load_after": load_after, "medsynth": ours, "pytorch": peer, "max_difference": difference,
                                               "prepared": prepared}, indent=1) + "\n")


if __name__ == "__main__":
    main()
