#!/usr/bin/env python3
"""Runs `medsynth bench augment --json` and benchmarks/augment_peer.py (TorchIO) in alternating rounds on the same
machine and prints a Markdown table of medians and speed-ups for BENCHMARKS.md.

Usage: python3 benchmarks/compare_augment.py [--rounds 3] [--repetitions 5] [--medsynth .build/release/medsynth]
Needs: a release build of medsynth; pip install torch torchio.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    args = ap.parse_args()
    ours, peer, names = {}, {}, {}
    for r in range(args.rounds):
        out = subprocess.run([args.medsynth, "bench", "augment", "--json", "--repetitions", str(args.repetitions)],
                             check=True, capture_output=True, text=True).stdout
        entries = json.loads(out)
        for e in entries:
            ours.setdefault(e["transform"], []).append(e["medianMS"])
            names[e["transform"]] = e.get("torchioPeer")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(entries, f)
        report = json.loads(subprocess.run([sys.executable, str(ROOT / "benchmarks/augment_peer.py"), "--repetitions",
                                            str(args.repetitions)], check=True, capture_output=True, text=True).stdout)
        for name, ms in report["timesMS"].items():
            peer.setdefault(name, []).append(ms)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print("| transform | TorchIO peer | TorchIO ms | MedSynth ms | speed-up |")
    print("|---|---|---|---|---|")
    for t, runs in ours.items():
        p = names.get(t)
        o = statistics.median(runs)
        if p in peer:
            q = statistics.median(peer[p])
            print(f"| {t} | {p} | {q:.1f} | {o:.1f} | {q / o:.1f}x |")
        else:
            print(f"| {t} | (none) | - | {o:.1f} | - |")


if __name__ == "__main__":
    main()
