#!/usr/bin/env python3
"""Runs `medsynth bench engine --json` and benchmarks/torch_reference.py (PyTorch CPU) in alternating rounds on the
same machine, with the same thread count, and prints a Markdown table of the medians and MedSynth/PyTorch
ratios for BENCHMARKS.md (ratio < 1: MedSynth is faster or smaller).

Each side runs every configuration in its own process (peak RSS is per configuration). Within a round the two
sides alternate per configuration (MedSynth first in odd rounds, PyTorch first in even ones), so both see the
same load; per round and side the figure is that process's median over its timed steps, and the table gives
the median over rounds. The load average before each round is printed, since the machine is shared.

Configurations: the CycleGAN ones (64, 128, 256 or size:ngf:blocks: training step and translated slice) and the
segmenter training steps seg2d and seg3d (no translation columns). Next to each step ratio the table gives the
FLOPs of one training step (forward + backward, counted by torch_reference.py with
torch.utils.flop_counter.FlopCounterMode, a multiply-add = 2) and each side's achieved GFLOP/s with its share
of the machine's FMA peak (`--peak-gflops`; by default measured first with benchmarks/fma_peak.c at the same
thread count, which needs gcc). Both sides report `parameters` (every
trained parameter); a configuration whose counts differ is flagged loudly, since its FLOPs would then not match.

Usage:
  python3 benchmarks/compare_engine.py [--rounds 3] [--configs 64,128,256,seg2d,seg3d] [--steps N] [--threads 2]
         [--gan-mode lsgan|wgangp] [--peak-gflops G] [--medsynth .build/release/medsynth]
         [--json Outputs/compare_engine.json]
(--gan-mode wgangp: the WGAN-GP step on both sides, the gradient penalty back-propagated through second-order
gradients.)
Needs: a release build of medsynth; pip install torch.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_json(cmd, env):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def measured_peak(threads):
    """The FMA peak of `threads` threads in GFLOP/s, measured by benchmarks/fma_peak.c (compiled with gcc)."""
    binary = Path(tempfile.gettempdir()) / "medsynth_fma_peak"
    build = subprocess.run(["gcc", "-O2", "-pthread", "-o", str(binary), str(ROOT / "benchmarks/fma_peak.c")],
                           capture_output=True, text=True)
    if build.returncode != 0:
        sys.exit(f"could not build benchmarks/fma_peak.c (gcc needed, or pass --peak-gflops):\n{build.stderr[-1000:]}")
    out = subprocess.run([str(binary), str(threads), "512"], capture_output=True, text=True, check=True).stdout
    print(out.strip(), file=sys.stderr)
    return float(out.split(":")[1].split()[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--configs", default="64,128,256,seg2d,seg3d")
    ap.add_argument("--steps", type=int,
                    help="timed steps per configuration (default: each tool's 10 / 5 / 3 by size; seg2d 10, seg3d 3)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gan-mode", choices=["lsgan", "wgangp"], default="lsgan")
    ap.add_argument("--peak-gflops", type=float,
                    help="the machine's FMA peak in GFLOP/s, for the %% of peak (default: measured by "
                         "benchmarks/fma_peak.c with --threads threads before the first round)")
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    ap.add_argument("--json", help="also write all per-round results here")
    args = ap.parse_args()
    if args.peak_gflops is None:
        args.peak_gflops = measured_peak(args.threads)
    env = dict(os.environ, MEDSYNTH_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    steps = (["--steps", str(args.steps)] if args.steps else []) + ["--gan-mode", args.gan_mode]
    ours, peer, loads = [], [], []
    for r in range(args.rounds):
        loads.append(round(os.getloadavg()[0], 2))
        t = time.time()
        ours_round, peer_round = {"results": []}, {"results": []}
        for config in args.configs.split(","):
            def medsynth():
                ours_round["results"] += run_json([args.medsynth, "bench", "engine", "--json", "--configs", config,
                                                   "--warmup", str(args.warmup)] + steps, env)["results"]

            def pytorch():
                peer_round["results"] += run_json([sys.executable, str(ROOT / "benchmarks/torch_reference.py"),
                                                   "--configs", config, "--threads", str(args.threads),
                                                   "--warmup", str(args.warmup)] + steps, env)["results"]
            for side in ((medsynth, pytorch) if r % 2 == 0 else (pytorch, medsynth)):
                side()
        ours.append(ours_round)
        peer.append(peer_round)
        print(f"round {r + 1}/{args.rounds} done in {time.time() - t:.0f} s (load before {loads[-1]}, "
              f"BLAS core {ours[-1]['results'][0].get('blas_core')})", file=sys.stderr)

    def per_config(report_list, key):
        table = {}
        for report in report_list:
            for res in report["results"]:
                name = res.get("config") or f"{res['size']}:{res['ngf']}:{res['n_blocks']}"
                table.setdefault(name, []).append(res.get(key))
        return table

    def med(values):
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else None

    # The parameter counts must agree, or the two sides do not do the same work.
    mismatches = []
    o_par, p_par = per_config(ours, "parameters"), per_config(peer, "parameters")
    for cfg in o_par:
        if set(o_par[cfg]) != set(p_par.get(cfg, [])):
            mismatches.append(f"{cfg}: MedSynth {sorted(set(o_par[cfg]), key=str)} vs PyTorch "
                              f"{sorted(set(p_par.get(cfg, [])), key=str)} parameters")
    for m in mismatches:
        print(f"!!!!!!!! WARNING: parameter counts differ, the networks are not the same — {m}", file=sys.stderr)

    print(f"Load average (1 min) before each round: {loads}; threads {args.threads}; {args.rounds} rounds; "
          f"GAN loss {args.gan_mode}; FMA peak {args.peak_gflops:g} GFLOP/s.\n")
    for m in mismatches:
        print(f"**WARNING: parameter counts differ — {m}; the FLOP figures do not apply to MedSynth.**\n")
    print("| config | parameters | PyTorch ms/step | MedSynth ms/step | ratio | GFLOP/step | PyTorch GFLOP/s (% peak) | "
          "MedSynth GFLOP/s (% peak) | PyTorch ms/slice | MedSynth ms/slice | ratio | PyTorch peak RSS MB | "
          "MedSynth peak RSS MB | ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    keys = ["train_ms_median", "translate_ms_median", "peak_rss_mb"]
    o = {k: per_config(ours, k) for k in keys}
    p = {k: per_config(peer, k) for k in keys}
    gflop = per_config(peer, "gflop_per_step")

    def rate(gf, ms):
        if gf is None or not ms:
            return "—"
        g = gf / (ms / 1000)
        return f"{g:.1f} ({100 * g / args.peak_gflops:.1f}%)"

    for cfg in o["train_ms_median"]:
        cells = [str(med(o_par[cfg])) + ("" if med(o_par[cfg]) == med(p_par.get(cfg, [])) else
                                         f" ≠ {med(p_par.get(cfg, []))} **MISMATCH**")]
        for k in keys:
            pv, ov = med(p[k].get(cfg, [])), med(o[k][cfg])
            if pv is None or ov is None:
                cells += ["—", "—", "—"]
            else:
                cells += [f"{pv:.1f}", f"{ov:.1f}", f"{ov / pv:.2f}"]
            if k == "train_ms_median":
                gf = med(gflop.get(cfg, []))
                cells += ["—" if gf is None else f"{gf:.2f}", rate(gf, pv), rate(gf, ov)]
        print(f"| {cfg} | " + " | ".join(cells) + " |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"loads": loads, "medsynth": ours, "pytorch": peer}, indent=1) + "\n")


if __name__ == "__main__":
    main()
