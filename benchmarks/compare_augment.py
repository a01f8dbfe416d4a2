#!/usr/bin/env python3
"""Runs `medsynth bench augment --json` and benchmarks/augment_peer.py (TorchIO) in alternating rounds on the same
machine and prints two Markdown tables of medians and speed-ups for BENCHMARKS.md, one per comparison, each
with the issue's 10x target marked met or not met per transform.

Two comparisons per transform (see Sources/MedSynthesis/Augmentation/AugmentationBenchmark.swift and the peer's
docstring for exactly what is timed):
- call: MedSynth `step.apply(p, to: case)` (the caller keeps its case; output in new memory) against TorchIO
  `transform(subject)` with its default copy=True;
- in pipeline: MedSynth's step on a case the pipeline owns (in place where the kernel allows, else into an array
  recycled from earlier repetitions, as in `medsynth augment`'s steady state) against the TorchIO transform built
  with copy=False on a private copy of the subject.
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
    ours_cpu, ours_pipe_cpu, peer_cpu, peer_nocopy_cpu = {}, {}, {}, {}
    round_loads = []
    versions = None
    simd_level = "unknown"
    for r in range(args.rounds):
        cmd = [args.medsynth, "bench", "augment", "--json", "--repetitions", str(args.repetitions)]
        if args.only:
            cmd += ["--only"] + args.only
        entries = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        for e in entries:
            ours.setdefault(e["transform"], []).append(e["medianMS"])
            ours_pipe.setdefault(e["transform"], []).append(e["inPipelineMedianMS"])
            ours_cpu.setdefault(e["transform"], []).append(e["cpuMS"])
            ours_pipe_cpu.setdefault(e["transform"], []).append(e["inPipelineCPUMS"])
            names[e["transform"]] = e.get("torchioPeer")
            simd_level = e.get("simdLevel", "unknown")
        peers = [names[t] for t in names if names[t]]
        report = json.loads(subprocess.run([sys.executable, str(ROOT / "benchmarks/augment_peer.py"), "--repetitions",
                                            str(args.repetitions), "--only"] + peers,
                                           check=True, capture_output=True, text=True).stdout)
        versions = report["torchio"]
        for name, ms in report["timesMS"].items():
            peer.setdefault(name, []).append(ms)
        for name, ms in report["noCopyTimesMS"].items():
            peer_nocopy.setdefault(name, []).append(ms)
        for name, ms in report["cpuMS"].items():
            peer_cpu.setdefault(name, []).append(ms)
        for name, ms in report["noCopyCpuMS"].items():
            peer_nocopy_cpu.setdefault(name, []).append(ms)
        round_loads.append("%.2f" % os.getloadavg()[0])
        print(f"round {r + 1}/{args.rounds} done ({load()})", file=sys.stderr)
    print(f"MedSynth SIMD kernels at {simd_level}; "
          f"TorchIO {versions['version']}, torch {versions['torch']}, {versions['threads']} threads; "
          f"{args.rounds} rounds x {args.repetitions} repetitions; start {start_load}, end {load()}; "
          f"1-minute load after each round: {', '.join(round_loads)}")
    print("Each figure: median over rounds of the per-round medians (range of the round medians in brackets).")
    modes = [
        ("Call: MedSynth step.apply(p, to: case), output in new memory, vs TorchIO transform(subject), copy=True",
         "TorchIO call ms", "MedSynth call ms", peer, ours, peer_cpu, ours_cpu),
        ("In pipeline: MedSynth step on a case the pipeline owns (in place or into a recycled array) "
         "vs TorchIO transform built with copy=False on a private copy",
         "TorchIO copy=False ms", "MedSynth in pipeline ms", peer_nocopy, ours_pipe, peer_nocopy_cpu, ours_pipe_cpu),
    ]
    target = 10.0
    print("Speed-ups are of wall time (the target). The CPU-time speed-up is the ratio of the work, the process CPU "
          "time of all threads (TorchIO / MedSynth): waiting for a busy core does not inflate it, but it is lower "
          "than the wall-time ratio wherever MedSynth keeps both cores busy and TorchIO only one.")
    for title, peer_head, ours_head, peer_runs, our_runs, peer_cpu_runs, our_cpu_runs in modes:
        print()
        print(f"### {title}")
        print()
        print(f"| transform | TorchIO peer | {peer_head} | {ours_head} | speed-up | >= {target:.0f}x | CPU-time speed-up |")
        print("|---|---|---|---|---|---|---|")
        for t, runs in our_runs.items():
            p = names.get(t)
            o = statistics.median(runs)
            spread_o = f" [{min(runs):.1f}-{max(runs):.1f}]" if len(runs) > 1 else ""
            if p in peer_runs:
                q = statistics.median(peer_runs[p])
                spread_q = f" [{min(peer_runs[p]):.1f}-{max(peer_runs[p]):.1f}]" if len(peer_runs[p]) > 1 else ""
                ratio = q / o
                cpu_ratio = statistics.median(peer_cpu_runs[p]) / max(1e-9, statistics.median(our_cpu_runs[t]))
                print(f"| {t} | {p} | {q:.1f}{spread_q} | {o:.1f}{spread_o} | {ratio:.1f}x | "
                      f"{'met' if ratio >= target else 'NOT met'} | {cpu_ratio:.1f}x |")
            else:
                print(f"| {t} | (none) | - | {o:.1f}{spread_o} | - | - | - |")

if __name__ == "__main__":
    main()
