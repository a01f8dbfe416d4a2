#!/usr/bin/env python3
"""Runs `medsynth bench augment --json` and benchmarks/augment_peer.py (TorchIO) in alternating rounds on the same
machine and prints a Markdown table of medians and speed-ups for BENCHMARKS.md.

Two comparisons per transform (see Sources/MedSynthesis/Augmentation/AugmentationBenchmark.swift and the peer's
docstring for exactly what is timed):
- call: MedSynth `step.apply(p, to: case)` (the caller keeps its case; output in new memory) against TorchIO
  `transform(subject)` with its default copy=True;
- in pipeline: MedSynth's step on a case the pipeline owns (in place where the kernel allows) against the TorchIO
  transform built with copy=False on a private copy of the subject.
Each figure is the median over rounds of the per-round medians; the load average is printed before and after.

Usage: python3 benchmarks/compare_augment.py [--rounds 3] [--repetitions 5] [--medsynth .build/release/medsynth]
Needs: a release build of medsynth; pip install torch torchio.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    ap.add_argument("--only", nargs="*", help="MedSynth transform names (all when omitted)")
    args = ap.parse_args()
    print(f"start: {load()}", file=sys.stderr)
    start_load = load()
    ours, ours_pipe, peer, peer_nocopy, names = {}, {}, {}, {}, {}
    versions = None
    for r in range(args.rounds):
        cmd = [args.medsynth, "bench", "augment", "--json", "--repetitions", str(args.repetitions)]
        if args.only:
            cmd += ["--only"] + args.only
        entries = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        for e in entries:
            ours.setdefault(e["transform"], []).append(e["medianMS"])
            ours_pipe.setdefault(e["transform"], []).append(e["inPipelineMedianMS"])
            names[e["transform"]] = e.get("torchioPeer")
        peers = [names[t] for t in names if names[t]]
        report = json.loads(subprocess.run([sys.executable, str(ROOT / "benchmarks/augment_peer.py"), "--repetitions",
                                            str(args.repetitions), "--only"] + peers,
                                           check=True, capture_output=True, text=True).stdout)
        versions = report["torchio"]
        for name, ms in report["timesMS"].items():
            peer.setdefault(name, []).append(ms)
        for name, ms in report["noCopyTimesMS"].items():
            peer_nocopy.setdefault(name, []).append(ms)
        print(f"round {r + 1}/{args.rounds} done ({load()})", file=sys.stderr)
    print(f"TorchIO {versions['version']}, torch {versions['torch']}, {versions['threads']} threads; "
          f"{args.rounds} rounds x {args.repetitions} repetitions; start {start_load}, end {load()}")
    print()
    print("| transform | TorchIO peer | TorchIO call ms | MedSynth call ms | speed-up | "
          "TorchIO copy=False ms | MedSynth in pipeline ms | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for t, runs in ours.items():
        p = names.get(t)
        o, op = statistics.median(runs), statistics.median(ours_pipe[t])
        if p in peer:
            q, qn = statistics.median(peer[p]), statistics.median(peer_nocopy[p])
            print(f"| {t} | {p} | {q:.1f} | {o:.1f} | {q / o:.1f}x | {qn:.1f} | {op:.1f} | {qn / op:.1f}x |")
        else:
            print(f"| {t} | (none) | - | {o:.1f} | - | - | {op:.1f} | - |")


if __name__ == "__main__":
    main()
