#!/usr/bin/env python3
"""Runs `medsynth bench metrics` and benchmarks/metrics_peer.py (scikit-image/scipy) side by side, in alternating
rounds on the same machine, and prints a Markdown table of medians and MedSynth/peer time ratios for
BENCHMARKS.md. Metric values from both sides are compared so a ratio is never quoted for different work.

Usage: python3 benchmarks/compare_metrics.py [--rounds 3] [--repetitions 5] [--medsynth .build/release/medsynth]
Needs: a release build of medsynth; pip install numpy scipy scikit-image.
"""
import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repetitions", type=int, default=5)
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    args = ap.parse_args()
    ours, peer = {}, {}
    values = {}
    for r in range(args.rounds):
        for side, cmd in (("medsynth", [args.medsynth, "bench", "metrics", "--json", "--repetitions", str(args.repetitions)]),
                          ("peer", [sys.executable, str(ROOT / "benchmarks/metrics_peer.py"), "--repetitions", str(args.repetitions)])):
            report = run_json(cmd)
            for res in report["results"]:
                ms = res.get("medianMS", res.get("median_ms"))
                (ours if side == "medsynth" else peer).setdefault(res["name"], []).append(ms)
                values.setdefault(res["name"], {})[side] = res["value"]
            print(f"round {r + 1}/{args.rounds}: {side} done", file=sys.stderr)
    print("| case | scikit-image/scipy ms | MedSynth ms | MedSynth/peer time | speed-up | values agree |")
    print("|---|---|---|---|---|---|")
    for name in ours:
        o, p = statistics.median(ours[name]), statistics.median(peer[name])
        v = values[name]
        agree = abs(v["medsynth"] - v["peer"]) <= 1e-5 * max(1.0, abs(v["peer"]))
        print(f"| {name} | {p:.1f} | {o:.1f} | {o / p:.3f} | {p / o:.1f}x | {'yes' if agree else 'NO: %r vs %r' % (v['medsynth'], v['peer'])} |")


if __name__ == "__main__":
    main()
