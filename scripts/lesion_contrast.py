#!/usr/bin/env python3
"""Lesion contrast of CT -> FLAIR translator runs (issue 20, item 6), with numpy alone.

    python3 scripts/lesion_contrast.py [--medsynth .build/release/medsynth] Outputs/RUN [Outputs/RUN2 ...]

For each `medsynth train` run folder: translates the run's dataset with `checkpoints/latest.h5` into
RUN/translated.h5 (`medsynth translate`, once), exports the FLAIR and label volumes of every case with
`medsynth convert` to NIfTI-1 float32 (read here by a 20-line reader, so no h5py or nibabel is needed), and
measures, over the run's held-out cases (split.json) and separately over its training cases:

  lesion mean   mean FLAIR over voxels whose label is a lesion label (10, 11, 12, 13), voxels of all cases pooled
  WM mean       mean FLAIR over white matter (label 8), pooled
  contrast      lesion mean / WM mean (real FLAIR: the target; translated: what the model renders)
  recovered     (translated contrast - 1) / (real contrast - 1): 0 = lesions at white-matter level, 1 = the real
                contrast
  lesion MAE    mean |translated - real| over the lesion voxels

Translated values are in the run's output window (the median of the training volumes' windows) and real ones in
each case's own scale, as validation compares them; the contrast ratio does not depend on that scale. Also prints
the run's last validation (PSNR / SSIM / MAE on the held-out slices inside the head, summary.json).
Prints a markdown table; exit status 1 when a run folder is incomplete.
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

LESION_LABELS = [10, 11, 12, 13]
WHITE_MATTER = 8


def read_nifti1(path):
    """The voxels of a float32 NIfTI-1 file as a flat float64 array (order irrelevant: masks share it)."""
    data = open(path, "rb").read()
    if struct.unpack("<i", data[0:4])[0] != 348:
        raise SystemExit(f"{path}: not a little-endian NIfTI-1 file")
    dims = struct.unpack("<8h", data[40:56])
    datatype = struct.unpack("<h", data[70:72])[0]
    offset = int(struct.unpack("<f", data[108:112])[0])
    if datatype != 16:
        raise SystemExit(f"{path}: datatype {datatype}, expected 16 (float32)")
    count = int(np.prod(dims[1:1 + dims[0]]))
    return np.frombuffer(data, dtype="<f4", count=count, offset=offset).astype(np.float64)


def export(medsynth, h5, case, modality, folder):
    # One file per (dataset file, case, modality): every run's translated.h5 has the same base name.
    tag = os.path.abspath(h5).strip("/").replace("/", "_")
    out = os.path.join(folder, f"{tag}-{case}-{modality}.nii")
    if not os.path.exists(out):
        subprocess.run(["nice", "-n", "19", medsynth, "convert", h5, out, "--dataset", f"/cases/{case}/{modality}"],
                       check=True, stdout=subprocess.DEVNULL)
    return read_nifti1(out)


def contrast(medsynth, translated, data, cases, modality, folder):
    sums = {"real_lesion": [], "real_wm": [], "fake_lesion": [], "fake_wm": [], "lesion_abs": []}
    per_case = []
    for case in cases:
        real = export(medsynth, data, case, modality, folder)
        fake = export(medsynth, translated, case, modality, folder)
        labels = export(medsynth, data, case, "label", folder)
        lesion = np.isin(labels, LESION_LABELS)
        wm = labels == WHITE_MATTER
        sums["real_lesion"].append(real[lesion]); sums["real_wm"].append(real[wm])
        sums["fake_lesion"].append(fake[lesion]); sums["fake_wm"].append(fake[wm])
        sums["lesion_abs"].append(np.abs(fake[lesion] - real[lesion]))
        per_case.append((case, int(lesion.sum())))
    m = {k: float(np.concatenate(v).mean()) for k, v in sums.items()}
    m["real_contrast"] = m["real_lesion"] / m["real_wm"]
    m["fake_contrast"] = m["fake_lesion"] / m["fake_wm"]
    m["recovered"] = (m["fake_contrast"] - 1) / (m["real_contrast"] - 1)
    m["cases"] = per_case
    return m


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--medsynth", default=".build/release/medsynth")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="lesion-contrast-") as folder:
        for run in args.runs:
            summary_file = os.path.join(run, "summary.json")
            if not os.path.exists(summary_file):
                print(f"{run}: no summary.json; run the training first", file=sys.stderr)
                return 1
            summary = json.load(open(summary_file))
            split = json.load(open(os.path.join(run, "split.json")))
            data = split["files"][0]
            modality = split["modalityB"]
            translated = os.path.join(run, "translated.h5")
            if not os.path.exists(translated):
                subprocess.run(["nice", "-n", "19", args.medsynth, "translate", "--checkpoint",
                                os.path.join(run, "checkpoints", "latest.h5"), "--in", data, "--out", translated],
                               check=True, stdout=subprocess.DEVNULL)
            held = contrast(args.medsynth, translated, data, [c["caseID"] for c in split["validationCases"]], modality,
                            folder)
            train = contrast(args.medsynth, translated, data, [c["caseID"] for c in split["trainingCases"]], modality,
                             folder)
            rows.append((run, summary, held, train))

    print("| run | steps | held-out PSNR dB / SSIM / MAE | held-out lesion / WM mean (real) | translated | "
          "contrast real → translated | recovered | lesion MAE | training cases: contrast real → translated, recovered |")
    print("|---|---|---|---|---|---|---|---|---|")
    for run, s, h, t in rows:
        v = s["last"]
        print(f"| {os.path.basename(run.rstrip('/'))} | {s['steps']} | {v['psnrDB']:.2f} / {v['ssim']:.3f} / {v['mae']:.1f} | "
              f"{h['real_lesion']:.1f} / {h['real_wm']:.1f} | {h['fake_lesion']:.1f} / {h['fake_wm']:.1f} | "
              f"{h['real_contrast']:.3f} → {h['fake_contrast']:.3f} | {h['recovered']:.2f} | {h['lesion_abs']:.1f} | "
              f"{t['real_contrast']:.3f} → {t['fake_contrast']:.3f}, {t['recovered']:.2f} |")
    held_cases = ", ".join(f"{c} ({n} lesion voxels)" for c, n in rows[0][2]["cases"])
    print(f"\nheld-out cases: {held_cases}; training cases: {sum(n for _, n in rows[0][3]['cases'])} lesion voxels in "
          f"{len(rows[0][3]['cases'])} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
