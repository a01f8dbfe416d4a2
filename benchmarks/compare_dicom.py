#!/usr/bin/env python3
"""Times DICOM -> NIfTI conversion of one series by `medsynth convert` and by dcm2niix, in alternating rounds, and
prints wall time and the child's peak RSS for each, for BENCHMARKS.md.

The two commands (both write an uncompressed int16 .nii, dcm2niix without its JSON sidecar):
  MedSynth: medsynth convert SERIES WORK/ms-N/ms.nii --dtype int16
  dcm2niix: dcm2niix -z n -b n -f dcm -o WORK/dcm-N SERIES
Every run writes into a fresh empty folder under --work-dir, deleted after the run. Wall time is
time.perf_counter() around the child (start to reaped); peak RSS is the child's ru_maxrss from os.wait4 (KiB on
Linux). MedSynth runs first in odd rounds, dcm2niix first in even ones.

Before timing, one warm-up run of each (so both read the series from the page cache) whose outputs are checked to
hold the same volume: with A_ms and A_dcm the two affines, T = inv(A_dcm) @ A_ms must be a signed permutation
plus a translation (dcm2niix flips the row axis), the affines must then agree within 1e-4 mm, and every voxel
value (after scl_slope/scl_inter) must be equal. Any disagreement, or either converter failing, stops the script
with the command and its output.

Reported per side: median wall seconds (min-max over rounds), median peak RSS in MiB; MedSynth / dcm2niix of the
medians, and the median and range of the per-round ratios; the volume size in MiB as int16 and as float32, and
MedSynth's median peak RSS divided by each. The load average is printed before and after.

Usage: .venv/bin/python benchmarks/compare_dicom.py --series DIR [--medsynth .build/release/medsynth]
       [--rounds 5] [--out-json FILE] [--work-dir DIR]
A series to time: .venv/bin/python scripts/make_benchmark_ct_series.py --out /tmp/bench-ct (512 x 512 x 300).
Needs: a release build of medsynth; dcm2niix on PATH (Debian package dcm2niix); pip install nibabel numpy.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIDES = ["MedSynth", "dcm2niix"]
MIB = 2 ** 20


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def fail(msg):
    print(f"compare_dicom: {msg}", file=sys.stderr)
    sys.exit(1)


def command(side, args, out_dir):
    if side == "MedSynth":
        return [args.medsynth, "convert", args.series, os.path.join(out_dir, "ms.nii"), "--dtype", "int16"]
    return ["dcm2niix", "-z", "n", "-b", "n", "-f", "dcm", "-o", out_dir, args.series]


def run_once(side, args, tag):
    """Runs one side into a fresh empty folder; returns (seconds, peak RSS KiB, folder, log). Stops on failure.

    Linux counts in a child's ru_maxrss the resident size of the process it was forked (or vforked) from, up to
    exec: a child of a process that ever held N MiB reports at least N MiB. So this process never imports numpy
    or loads a volume (the agreement check runs in a child, --check), and the floor this leaves (~11 MiB: this
    Python) is measured with /bin/true and reported; a peak at the floor is only an upper bound."""
    out_dir = os.path.join(args.work_dir, f"{'ms' if side == 'MedSynth' else 'dcm'}-{tag}")
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    cmd = command(side, args, out_dir)
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
        seconds = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen so it does not wait again
        log.seek(0)
        text = log.read().decode(errors="replace")
    outputs = sorted(f for f in os.listdir(out_dir) if f.endswith(".nii"))
    if p.returncode != 0 or not outputs:
        fail(f"{side} failed (exit status {p.returncode}, outputs {outputs}):\n  {' '.join(cmd)}\n{text}")
    return seconds, usage.ru_maxrss, out_dir, text


def volume(path):
    """(values as float32 3-D array, affine float64, on-disk dtype): scl_slope/scl_inter applied. float32 holds
    every int16-with-integer-scaling value exactly."""
    import nibabel as nib
    import numpy as np

    img = nib.load(path)
    data = np.asarray(img.get_fdata(dtype=np.float32))
    while data.ndim > 3 and data.shape[-1] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        fail(f"{path}: expected a 3-D volume, got shape {data.shape}")
    return data, np.asarray(img.affine, dtype=np.float64), str(img.get_data_dtype())


def compare(ms_path, dcm_path):
    """Checks that both files hold the same volume; returns a summary dict. Stops with a message if not.
    Runs in a child process (--check), so that the timing process never holds a volume: see run_once."""
    import numpy as np
    ms, a_ms, ms_dtype = volume(ms_path)
    dcm, a_dcm, dcm_dtype = volume(dcm_path)
    t = np.linalg.inv(a_dcm) @ a_ms  # MedSynth voxel index -> dcm2niix voxel index
    t_int = np.rint(t)
    where = f"\nMedSynth {ms_path} shape {ms.shape} affine\n{a_ms}\ndcm2niix {dcm_path} shape {dcm.shape} affine\n{a_dcm}"
    if np.abs(t - t_int).max() > 1e-3 or not np.array_equal(t_int[3], [0, 0, 0, 1]):
        fail(f"inv(A_dcm2niix) @ A_MedSynth is not an integral index map:\n{t}{where}")
    perm = t_int[:3, :3]
    if not (np.array_equal(np.abs(perm).sum(axis=0), np.ones(3))
            and np.array_equal(np.abs(perm).sum(axis=1), np.ones(3))):
        fail(f"inv(A_dcm2niix) @ A_MedSynth is not a signed permutation plus a translation:\n{t}{where}")
    aff_err = float(np.abs(a_dcm @ t_int - a_ms).max())
    if aff_err > 1e-4:
        fail(f"affines differ by {aff_err} mm after the index map\n{t_int}{where}")
    # dcm2niix's array rearranged into MedSynth's index order: MedSynth axis a is dcm2niix axis b = src[a], and
    # index i on a is index sign * i + offset on b, where offset must be 0 (sign +1) or size - 1 (sign -1).
    src = [int(np.nonzero(perm[:, a])[0][0]) for a in range(3)]
    if tuple(dcm.shape[b] for b in src) != ms.shape:
        fail(f"shapes do not match under the index map {perm.astype(int).tolist()}{where}")
    view = np.transpose(dcm, src)
    for a, b in enumerate(src):
        sign, offset = int(perm[b, a]), int(t_int[b, 3])
        if offset != (0 if sign > 0 else ms.shape[a] - 1):
            fail(f"index map translation {t_int[:3, 3].tolist()} does not map the volume onto itself{where}")
        if sign < 0:
            view = np.flip(view, axis=a)
    diff = view != ms
    if diff.any():
        n_diff = int(diff.sum())
        first = np.unravel_index(int(np.argmax(diff)), ms.shape)
        fail(f"{n_diff} of {ms.size} voxel values differ; first at MedSynth index {tuple(int(i) for i in first)}: "
             f"MedSynth {ms[first]}, dcm2niix {view[first]}{where}")
    return {"shape": list(ms.shape), "medsynthDtype": ms_dtype, "dcm2niixDtype": dcm_dtype,
            "indexMap": t_int.astype(int).tolist(), "affineErrorMM": aff_err,
            "valueMin": float(ms.min()), "valueMax": float(ms.max())}


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    r = subprocess.run(["dcm2niix", "--version"], capture_output=True, text=True)
    version = next((l.strip() for l in (r.stdout + r.stderr).splitlines() if "version" in l.lower()),
                   (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else "unknown")
    return {"cpu": cpu, "nproc": len(os.sched_getaffinity(0)), "cpuCount": os.cpu_count(),
            "memTotalKiB": meminfo_kib("MemTotal"), "kernel": platform.release(), "python": platform.python_version(),
            "dcm2niixVersion": version}


def meminfo_kib(key):
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def spawn_floor_kib():
    """ru_maxrss of /bin/true started the way run_once starts the converters: the lowest peak RSS they can show."""
    p = subprocess.Popen(["/bin/true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss


def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "all": xs}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--series", help="a folder holding one DICOM series (required unless --check)")
    ap.add_argument("--medsynth", default=str(ROOT / ".build/release/medsynth"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out-json", help="also write every figure here")
    ap.add_argument("--work-dir", help="where the outputs go, one fresh folder per run (default: a new temporary "
                    "folder under $TMPDIR or /tmp, deleted at the end); its file system is in the JSON")
    ap.add_argument("--check", nargs=2, metavar=("MEDSYNTH_NII", "DCM2NIIX_NII"),
                    help="only check that two NIfTI files hold the same volume (as the warm-up does; the benchmark "
                    "runs this in a child process) and print the summary as JSON")
    args = ap.parse_args()
    if args.check:
        print(json.dumps(compare(*args.check)))
        return
    if args.series is None:
        ap.error("--series is required")
    if args.rounds < 1:
        fail("--rounds must be at least 1")
    if not os.path.isdir(args.series):
        fail(f"{args.series} is not a folder")
    if shutil.which("dcm2niix") is None:
        fail("dcm2niix is not on PATH (Debian: apt-get install dcm2niix)")
    if not os.access(args.medsynth, os.X_OK):
        fail(f"{args.medsynth} is not an executable (swift build -c release)")
    own_work = args.work_dir is None
    if own_work:
        args.work_dir = tempfile.mkdtemp(prefix="compare_dicom-")
    else:
        os.makedirs(args.work_dir, exist_ok=True)
    try:
        run_all(args)
    finally:
        if own_work:
            shutil.rmtree(args.work_dir, ignore_errors=True)


def run_all(args):
    info = machine_info()
    medsynth_version = subprocess.run([args.medsynth, "--version"], capture_output=True, text=True).stdout.strip()
    series_files = [f for f in os.listdir(args.series) if os.path.isfile(os.path.join(args.series, f))]
    series_bytes = sum(os.path.getsize(os.path.join(args.series, f)) for f in series_files)

    # Warm-up (page cache) and agreement check.
    warm = {}
    for side in SIDES:
        seconds, rss, out_dir, log = run_once(side, args, "warmup")
        warm[side] = {"seconds": seconds, "peakRSSKiB": rss, "dir": out_dir, "log": log}
    dcm_outputs = sorted(f for f in os.listdir(warm["dcm2niix"]["dir"]) if f.endswith(".nii"))
    if len(dcm_outputs) != 1:
        fail(f"dcm2niix wrote {dcm_outputs}, expected one .nii:\n{warm['dcm2niix']['log']}")
    # In a child process, so that this one never holds a volume (see run_once). It reports its own failures.
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--check",
                        os.path.join(warm["MedSynth"]["dir"], "ms.nii"),
                        os.path.join(warm["dcm2niix"]["dir"], dcm_outputs[0])], stdout=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"the outputs of the warm-up runs disagree (see above); MedSynth's log:\n{warm['MedSynth']['log']}"
             f"dcm2niix's log:\n{warm['dcm2niix']['log']}")
    check = json.loads(r.stdout)
    dcm_log = warm["dcm2niix"]["log"]
    for side in SIDES:
        shutil.rmtree(warm[side]["dir"])
    print(f"warm-up: outputs agree (shape {check['shape']}, index map {check['indexMap']}, affine error "
          f"{check['affineErrorMM']:.1e} mm, values {check['valueMin']:g}..{check['valueMax']:g}, "
          f"MedSynth {check['medsynthDtype']}, dcm2niix {check['dcm2niixDtype']})", file=sys.stderr)

    start_load = load()
    print(f"start: {start_load}", file=sys.stderr)
    rounds = []
    for r in range(1, args.rounds + 1):
        order = SIDES if r % 2 == 1 else SIDES[::-1]
        entry = {"round": r, "order": order}
        for side in order:
            seconds, rss, out_dir, _ = run_once(side, args, f"r{r}")
            shutil.rmtree(out_dir)
            entry[side] = {"seconds": seconds, "peakRSSKiB": rss}
        rounds.append(entry)
        print(f"round {r}/{args.rounds} ({' first, '.join(order)} second): "
              + ", ".join(f"{s} {entry[s]['seconds']:.3f} s {entry[s]['peakRSSKiB'] / 1024:.0f} MiB" for s in SIDES)
              + f" ({load()})", file=sys.stderr)
    end_load = load()
    floor_kib = spawn_floor_kib()  # after every run: this process's peak only grows, so this floor covers them all

    nk, nj, ni = check["shape"][2], check["shape"][1], check["shape"][0]  # MedSynth (i, j, k) = (col, row, slice)
    voxels = ni * nj * nk
    int16_mib, float32_mib = voxels * 2 / MIB, voxels * 4 / MIB
    sides = {}
    for side in SIDES:
        secs = [e[side]["seconds"] for e in rounds]
        rss_mib = [e[side]["peakRSSKiB"] / 1024 for e in rounds]
        sides[side] = {"seconds": spread(secs), "peakRSSMiB": spread(rss_mib)}
    ratio_time = [e["MedSynth"]["seconds"] / e["dcm2niix"]["seconds"] for e in rounds]
    ratio_rss = [e["MedSynth"]["peakRSSKiB"] / e["dcm2niix"]["peakRSSKiB"] for e in rounds]
    ms_rss = sides["MedSynth"]["peakRSSMiB"]["median"]
    result = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": info,
        "medsynth": {"path": args.medsynth, "version": medsynth_version},
        "commands": {s: command(s, args, "OUT") for s in SIDES},
        "series": {"path": os.path.abspath(args.series), "files": len(series_files), "bytes": series_bytes,
                   "columns": ni, "rows": nj, "slices": nk},
        "workDir": {"path": args.work_dir, "fileSystem": file_system(args.work_dir)},
        "check": check,
        "dcm2niixLog": dcm_log,
        "warmup": {s: {"seconds": warm[s]["seconds"], "peakRSSKiB": warm[s]["peakRSSKiB"]} for s in SIDES},
        "rounds": rounds,
        "peakRSSFloorKiB": floor_kib,
        "peakRSSFloorNote": "ru_maxrss of /bin/true started like the converters: a child's ru_maxrss includes the "
                            "resident size of this Python process up to exec, so no peak can read lower than this",
        "summary": {
            **sides,
            "ratioOfMedians": {"seconds": sides["MedSynth"]["seconds"]["median"] / sides["dcm2niix"]["seconds"]["median"],
                               "peakRSS": ms_rss / sides["dcm2niix"]["peakRSSMiB"]["median"]},
            "perRoundRatio": {"seconds": spread(ratio_time), "peakRSS": spread(ratio_rss)},
            "volumeMiB": {"int16": int16_mib, "float32": float32_mib},
            "medsynthPeakRSSOverVolume": {"int16": ms_rss / int16_mib, "float32": ms_rss / float32_mib},
        },
        "load": {"start": start_load, "end": end_load},
    }

    print(f"{medsynth_version and 'medsynth ' + medsynth_version}; {info['dcm2niixVersion']}; {info['cpu']}, "
          f"{info['nproc']} CPUs; series {ni} x {nj} x {nk} ({len(series_files)} files, {series_bytes / 1e6:.1f} MB); "
          f"{args.rounds} rounds; start {start_load}, end {end_load}")
    print()
    print("| converter | wall s, median (min-max) | peak RSS MiB, median (min-max) |")
    print("|---|---|---|")
    floor_mib = floor_kib / 1024
    at_floor = []
    for side in SIDES:
        s, m = sides[side]["seconds"], sides[side]["peakRSSMiB"]
        mark = ""
        if m["min"] <= floor_mib * 1.05:
            mark = " *"
            at_floor.append(side)
        print(f"| {side} | {s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f}) | "
              f"{m['median']:.1f} ({m['min']:.1f}-{m['max']:.1f}){mark} |")
    print()
    summ = result["summary"]
    print(f"- MedSynth / dcm2niix, wall time: {summ['ratioOfMedians']['seconds']:.2f}x of the medians; per round "
          f"median {summ['perRoundRatio']['seconds']['median']:.2f}x ({min(ratio_time):.2f}-{max(ratio_time):.2f})")
    print(f"- MedSynth / dcm2niix, peak RSS: {summ['ratioOfMedians']['peakRSS']:.2f}x of the medians; per round "
          f"median {summ['perRoundRatio']['peakRSS']['median']:.2f}x ({min(ratio_rss):.2f}-{max(ratio_rss):.2f})")
    print(f"- volume: {int16_mib:.1f} MiB as int16, {float32_mib:.1f} MiB as float32; MedSynth peak RSS = "
          f"{ms_rss / int16_mib:.2f}x the int16 volume, {ms_rss / float32_mib:.2f}x the float32 volume")
    print(f"- peak RSS floor (/bin/true started the same way): {floor_mib:.1f} MiB"
          + (f"; * {' and '.join(at_floor)} at or near it: an upper bound, not a measurement" if at_floor else ""))
    if args.out_json:
        with open(args.out_json, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(f"- JSON: {args.out_json}")


def file_system(path):
    """The type of the file system holding path, from /proc/mounts (longest matching mount point)."""
    path = os.path.realpath(path)
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    mount = parts[1].replace("\\040", " ")
                    if (path == mount or path.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best):
                        best, kind = mount, parts[2]
    except OSError:
        pass
    return kind


if __name__ == "__main__":
    main()
