#!/usr/bin/env python3
"""Peer timings for `medsynth bench hdf5`: h5py writing the same cases in the same layout.

The cases are the first --cases of a MedSynth dataset (--input), read into numpy before any clock starts, so both
sides write identical volumes. Every run writes them all into a new file laid out as docs/DATASET_FORMAT.md
describes: root attributes, /cases/<id> groups with the provenance attributes, one float32 dataset per modality of
shape (depth, height, width), chunked one slice per chunk, with the dataset attributes (modality, unit, spacing_mm,
affine, medsynth_version). A run is timed from h5py.File(..., "w") to close(); after each case the file is
flushed and fsync'ed (the durability of MedSynth's writer, which syncs twice per case), except in the
`-nosync` modes. Before each run (untimed) the previous file is removed and os.sync() writes out dirty pages. Throughput is the raw float32 bytes (10^6 bytes per MB) over the median time; the ratio is raw
bytes over the file size.

Modes: uncompressed[-nosync], gzip-<level> (h5py's compression="gzip", no shuffle), shuffle+gzip-<level> (the
filters of the MedSynth layout). h5py runs HDF5's filters on one thread.

Prints one JSON object {"h5py": {...}, "rawBytes": N, "results": {mode: {medianSeconds, seconds,
megabytesPerSecond, fileBytes, compressionRatio}}}.

Usage: python3 benchmarks/hdf5_peer.py --input SOURCE.h5 [--cases 2] [--repetitions 3] [--out-dir DIR]
                                       [--modes uncompressed gzip-4 shuffle+gzip-4]
"""
import argparse
import json
import os
import platform
import statistics
import time

import h5py
import numpy as np


def read_cases(path, count):
    """[(case id, case attributes, [(dataset name, array, dataset attributes)])] of the first `count` cases."""
    cases = []
    with h5py.File(path, "r") as f:
        root_attrs = dict(f.attrs)
        for cid in sorted(f["cases"].keys())[:count]:
            g = f["cases"][cid]
            volumes = [(name, g[name][()], dict(g[name].attrs)) for name in sorted(g.keys())]
            cases.append((cid, dict(g.attrs), volumes))
    return root_attrs, cases


def parse_mode(mode):
    """(shuffle, gzip level or None, fsync per case) of a mode name."""
    sync = not mode.endswith("-nosync")
    base = mode[: -len("-nosync")] if not sync else mode
    if base == "uncompressed":
        return False, None, sync
    shuffle = base.startswith("shuffle+")
    name, _, level = base.removeprefix("shuffle+").partition("-")
    if name != "gzip" or not level.isdigit():
        raise SystemExit(f"unknown mode {mode!r}; expected uncompressed, gzip-<level>, shuffle+gzip-<level> (+ -nosync)")
    return shuffle, int(level), sync


def write(path, root_attrs, cases, shuffle, level, sync):
    with h5py.File(path, "w") as f:
        for k, v in root_attrs.items():
            f.attrs[k] = v
        top = f.create_group("cases")
        for cid, case_attrs, volumes in cases:
            g = top.create_group(cid)
            for k, v in case_attrs.items():
                g.attrs[k] = v
            for name, data, attrs in volumes:
                d = g.create_dataset(name, data=data, chunks=(1,) + data.shape[1:], shuffle=shuffle,
                                     compression="gzip" if level is not None else None, compression_opts=level)
                for k, v in attrs.items():
                    d.attrs[k] = v
            if sync:
                f.flush()
                os.fsync(f.id.get_vfd_handle())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--cases", type=int, default=2)
    ap.add_argument("--repetitions", type=int, default=3)
    ap.add_argument("--out-dir", default="Outputs/bench-hdf5")
    ap.add_argument("--modes", nargs="+", default=["uncompressed", "gzip-4", "shuffle+gzip-4"])
    args = ap.parse_args()
    root_attrs, cases = read_cases(args.input, args.cases)
    if len(cases) < args.cases:
        raise SystemExit(f"{args.input} holds {len(cases)} cases; --cases asks for {args.cases}")
    raw = sum(data.astype(np.float32).nbytes for _, _, vols in cases for _, data, _ in vols)
    os.makedirs(args.out_dir, exist_ok=True)
    results = {}
    for mode in args.modes:
        shuffle, level, sync = parse_mode(mode)
        path = os.path.join(args.out_dir, f"peer-{mode}.h5")
        runs, size = [], 0
        for _ in range(args.repetitions):
            if os.path.exists(path):
                os.remove(path)
            os.sync()  # as the MedSynth side: no writeback of the previous run throttles this one
            start = time.perf_counter()
            write(path, root_attrs, cases, shuffle, level, sync)
            runs.append(time.perf_counter() - start)
            size = os.path.getsize(path)
        os.remove(path)
        median = statistics.median(runs)
        results[mode] = {"medianSeconds": median, "seconds": runs, "megabytesPerSecond": raw / 1e6 / median,
                         "fileBytes": size, "compressionRatio": raw / size}
    print(json.dumps({"h5py": {"version": h5py.__version__, "hdf5": h5py.version.hdf5_version,
                               "python": platform.python_version()},
                      "cases": [c[0] for c in cases], "rawBytes": raw, "results": results}, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
