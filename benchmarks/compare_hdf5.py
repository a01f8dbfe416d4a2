#!/usr/bin/env python3
"""Runs `medsynth bench hdf5 --json` and benchmarks/hdf5_peer.py (h5py) in alternating rounds on the same cases and
prints a Markdown table of write throughput and compression ratio for BENCHMARKS.md.

The cases: the first --cases of --input, or, without it, a source dataset made once before timing with
`medsynth phantom --cases N --shape 128 256 256 --seed 7` (six float32 volumes per case: CT, T1, T2, FLAIR, PET,
labels). Both sides read the same file into memory first and write the same layout (docs/DATASET_FORMAT.md); see
BenchHDF5Command.swift and hdf5_peer.py for exactly what each times. Each figure is the median over rounds of the
per-round medians; the load average is printed before and after.

Usage: python3 benchmarks/compare_hdf5.py [--rounds 3] [--repetitions 2] [--cases 2] [--input SOURCE.h5]
Needs: a release build of medsynth; pip install h5py numpy.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

OURS = ["uncompressed", "uncompressed-nosync", "rle-4", "standard-4"]
PEER = ["uncompressed", "uncompressed-nosync", "gzip-4", "shuffle+gzip-4"]


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repetitions", type=int, default=2)
    ap.add_argument("--cases", type=int, default=2)
    ap.add_argument("--input", help="a MedSynth dataset to take the cases from (default: make one)")
    ap.add_argument("--out-dir", default=str(ROOT / "Outputs/bench-hdf5"))
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    source = args.input
    if source is None:
        source = os.path.join(args.out_dir, "source.h5")
        subprocess.run([args.medsynth, "phantom", "--cases", str(args.cases), "--shape", "128", "256", "256",
                        "--seed", "7", "--out", source], check=True, capture_output=True)
    start_load = load()
    print(f"start: {start_load}", file=sys.stderr)
    ours, peer, info = {}, {}, {}
    for r in range(args.rounds):
        out = subprocess.run([args.medsynth, "bench", "hdf5", "--input", source, "--cases", str(args.cases),
                              "--repetitions", str(args.repetitions), "--out-dir", args.out_dir, "--json",
                              "--modes"] + OURS, check=True, capture_output=True, text=True).stdout
        report = json.loads(out)
        info["medsynth"] = report["tool"]
        for e in report["results"]:
            ours.setdefault(e["mode"]["name"], []).append(e)
        report = json.loads(subprocess.run([sys.executable, str(ROOT / "benchmarks/hdf5_peer.py"), "--input", source,
                                            "--cases", str(args.cases), "--repetitions", str(args.repetitions),
                                            "--out-dir", args.out_dir, "--modes"] + PEER,
                                           check=True, capture_output=True, text=True).stdout)
        info["h5py"] = report["h5py"]
        info["raw"] = report["rawBytes"]
        for mode, e in report["results"].items():
            peer.setdefault(mode, []).append(e)
        print(f"round {r + 1}/{args.rounds} done ({load()})", file=sys.stderr)

    def summary(runs):
        return statistics.median(e["megabytesPerSecond"] for e in runs), runs[-1]["compressionRatio"]

    print(f"{info['medsynth']}; h5py {info['h5py']['version']} (HDF5 {info['h5py']['hdf5']}); "
          f"{args.cases} cases, {info['raw'] / 1e6:.0f} MB raw; {args.rounds} rounds x {args.repetitions} runs; "
          f"start {start_load}, end {load()}")
    print()
    print("| writer | mode | MB/s | ratio |")
    print("|---|---|---|---|")
    for name, runs in ours.items():
        mbps, ratio = summary(runs)
        print(f"| MedSynth | {name} | {mbps:.0f} | {ratio:.3f} |")
    for name, runs in peer.items():
        mbps, ratio = summary(runs)
        print(f"| h5py | {name} | {mbps:.0f} | {ratio:.3f} |")
    print()
    for mode in ["uncompressed", "uncompressed-nosync"]:
        u, _ = summary(ours[mode])
        q, _ = summary(peer[mode])
        print(f"- {mode}: MedSynth / h5py: {u / q:.2f}x")
    for ours_mode in ["rle-4", "standard-4"]:
        c, cr = summary(ours[ours_mode])
        for p in ["gzip-4", "shuffle+gzip-4"]:
            q, qr = summary(peer[p])
            print(f"- MedSynth shuffle+deflate {ours_mode} vs h5py {p}: {c / q:.2f}x throughput, ratio {cr:.3f} vs {qr:.3f}")


if __name__ == "__main__":
    main()
