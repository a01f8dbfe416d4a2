#!/usr/bin/env python3
"""Peer timings for `medsynth bench augment`: TorchIO's random transforms on one 256 x 256 x 128 float32 volume
(1 mm voxels), the size and content of AugmentationBenchmark.makeVolume in
Sources/MedSynthesis/Augmentation/AugmentationBenchmark.swift (a textured ellipsoid on a dark background).

Two timings per transform, each the median of --repetitions after one warm-up call (TorchIO draws its parameters
inside the call, as MedSynth's draw + apply):
- "timesMS": `transform(subject)` with TorchIO's default copy=True (the subject is deep-copied, then transformed),
  what a TorchIO user calling the transform pays; MedSynth's "call" timing is its counterpart;
- "noCopyTimesMS": the same transform built with copy=False, called on a private deep copy of the subject made
  before the clock starts (TorchIO then replaces the image's tensor instead of copying the subject first);
  MedSynth's "in pipeline" timing is its counterpart.
Settings mirror the Swift benchmark: TorchIO defaults except where noted below.

Also the median process CPU time of each (time.process_time(), all threads): "cpuMS" and "noCopyCpuMS".

Prints one JSON object {"torchio": {...}, "timesMS": {TransformName: median_ms}, "noCopyTimesMS": {...},
"cpuMS": {...}, "noCopyCpuMS": {...}}. With
--compare FILE (the JSON of `medsynth bench augment --json`, a list of {transform, torchioPeer, medianMS,
inPipelineMedianMS}) it also prints the speed-ups. Threads: torch.set_num_threads(--threads), default 2.

Usage: python3 benchmarks/augment_peer.py [--repetitions 5] [--threads 2] [--compare medsynth.json]
"""
import argparse
import copy
import json
import platform
import statistics
import time

import numpy as np


def make_volume(depth=128, height=256, width=256):
    """AugmentationBenchmark.makeVolume as a (depth, height, width) float32 array."""
    k, j, i = np.meshgrid(np.arange(depth), np.arange(height), np.arange(width), indexing="ij")
    x = 2 * i / width - 1
    y = 2 * j / height - 1
    z = 2 * k / depth - 1
    r = x * x / 0.64 + y * y / 0.81 + z * z / 0.7
    inside = 400 + 120 * np.sin(9 * x) * np.cos(7 * y) + 60 * np.sin(5 * z)
    return np.where(r < 1, inside, 5).astype(np.float32)


def transforms(tio, copy=True):
    """TorchIO peers of the Swift benchmark's steps (TorchIO spatial axes: 0 = width, 1 = height, 2 = depth)."""
    return {
        "RandomFlip": tio.RandomFlip(axes=(0,), flip_probability=1.0, copy=copy),
        "RandomAffine": tio.RandomAffine(scales=(0.9, 1.1), degrees=10, translation=5, copy=copy),
        "RandomElasticDeformation": tio.RandomElasticDeformation(copy=copy),
        "RandomGamma": tio.RandomGamma(copy=copy),
        "RandomNoise": tio.RandomNoise(std=(10, 10), copy=copy),
        "RandomBiasField": tio.RandomBiasField(copy=copy),
        "RandomBlur": tio.RandomBlur(std=(1, 2), copy=copy),
        "RandomAnisotropy": tio.RandomAnisotropy(copy=copy),
        "RandomGhosting": tio.RandomGhosting(axes=(1,), copy=copy),
        "RandomSpike": tio.RandomSpike(copy=copy),
        "RandomMotion": tio.RandomMotion(copy=copy),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="TorchIO class names to run (all when omitted)")
    parser.add_argument("--compare", help="JSON of `medsynth bench augment --json` to compute speed-ups")
    args = parser.parse_args()

    import torch
    import torchio as tio

    torch.set_num_threads(args.threads)
    torch.manual_seed(2024)
    volume = make_volume()
    # TorchIO tensors are (channels, W, H, D): NIfTI's i, j, k order.
    tensor = torch.from_numpy(np.ascontiguousarray(volume.transpose(2, 1, 0)))[None]
    subject = tio.Subject(t1=tio.ScalarImage(tensor=tensor, affine=np.eye(4)))

    times, no_copy, cpu, no_copy_cpu = {}, {}, {}, {}
    copying, in_place = transforms(tio), transforms(tio, copy=False)
    for name, transform in copying.items():
        if args.only and name not in args.only:
            continue
        transform(subject)  # warm-up
        runs, cpu_runs = [], []
        for _ in range(args.repetitions):
            cpu_start, start = time.process_time(), time.perf_counter()
            transform(subject)
            runs.append((time.perf_counter() - start) * 1000)
            cpu_runs.append((time.process_time() - cpu_start) * 1000)
        times[name], cpu[name] = statistics.median(runs), statistics.median(cpu_runs)
        runs, cpu_runs = [], []
        for rep in range(args.repetitions + 1):
            private = copy.deepcopy(subject)
            cpu_start, start = time.process_time(), time.perf_counter()
            in_place[name](private)
            if rep > 0:
                runs.append((time.perf_counter() - start) * 1000)
                cpu_runs.append((time.process_time() - cpu_start) * 1000)
        no_copy[name], no_copy_cpu[name] = statistics.median(runs), statistics.median(cpu_runs)

    out = {"torchio": {"version": tio.__version__, "torch": torch.__version__, "threads": args.threads,
                       "python": platform.python_version(), "repetitions": args.repetitions},
           "timesMS": times, "noCopyTimesMS": no_copy, "cpuMS": cpu, "noCopyCpuMS": no_copy_cpu}
    if args.compare:
        with open(args.compare) as f:
            ours = json.load(f)
        ratios = {}
        for entry in ours:
            peer = entry.get("torchioPeer")
            if peer in times:
                ratios[entry["transform"]] = {
                    "peer": peer, "medsynthMS": entry["medianMS"], "torchioMS": times[peer],
                    "speedup": times[peer] / entry["medianMS"],
                    "medsynthInPipelineMS": entry["inPipelineMedianMS"], "torchioNoCopyMS": no_copy[peer],
                    "inPipelineSpeedup": no_copy[peer] / entry["inPipelineMedianMS"]}
        out["speedups"] = ratios
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
