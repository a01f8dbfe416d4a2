#!/usr/bin/env python3
"""Checks checkpoints written by MedNN (Swift's `Checkpoint`) from the outside, with h5py and PyTorch: the layout
is what docs/CHECKPOINT_FORMAT.md says, every network converts (scripts/convert_pth_checkpoint.py to-pth) to a
.pth that the reference PyTorch network loads with load_state_dict(strict=True) and that reproduces MedNN's
output, and every optimizer converts to a state_dict that torch.optim loads and steps with.

  python3 scripts/check_checkpoint_h5py.py                 # builds, exports Swift checkpoints, checks them
  python3 scripts/check_checkpoint_h5py.py FILE.h5 ...     # checks existing MedNN checkpoints

Without files it runs the Swift test that writes checkpoints for this check:
  MEDSYNTH_CHECKPOINT_EXPORT=<tmp> swift test -c release -Xswiftc -enable-testing \\
      --filter CheckpointTests/exportForPythonCheck
Those files carry probe inputs and MedNN's outputs in their training state (`/training_state/tensors/
probe_input`, `probe_output_<network>`); files without them are checked for layout and loading only.
Needs torch, h5py, numpy (CI does not run this script).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(SCRIPTS, ".."))
sys.path.insert(0, SCRIPTS)
import make_torch_network_fixtures as nets  # noqa: E402

FORMAT = "medsynth-checkpoint-1"
TOLERANCE = 1e-4


def fail(message):
    raise SystemExit(f"FAILED: {message}")


def export_swift_checkpoints(folder):
    command = ["swift", "test", "-c", "release", "-Xswiftc", "-enable-testing",
               "--filter", "CheckpointTests/exportForPythonCheck"]
    print("+ MEDSYNTH_CHECKPOINT_EXPORT=" + folder, " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "MEDSYNTH_CHECKPOINT_EXPORT": folder})
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".h5"))
    if not files:
        fail(f"the Swift export wrote nothing into {folder}")
    return files


def check_layout(path, f):
    """The attributes and datasets the format prescribes; returns the network names."""
    if f.attrs.get("format") != FORMAT:
        fail(f"{path}: format attribute is {f.attrs.get('format')!r}")
    for name in ("architecture", "hyperparameters", "medsynth_version", "state_dict_keys"):
        if name not in f.attrs:
            fail(f"{path}: root attribute {name} is missing")
    json.loads(f.attrs["hyperparameters"])
    keys = list(f.attrs["state_dict_keys"])
    stored = set(f["parameters"]) | set(f["buffers"])
    if set(keys) != stored or len(keys) != len(stored):
        fail(f"{path}: state_dict_keys and the stored datasets differ")
    for key in keys:
        ds = f["parameters"][key] if key in f["parameters"] else f["buffers"][key]
        if key.endswith("num_batches_tracked"):
            if ds.dtype != np.int64 or ds.shape != ():
                fail(f"{path}: {key} is {ds.dtype} {ds.shape}, expected an int64 scalar")
        elif ds.dtype != np.float32 or ds.chunks is not None or ds.compression is not None:
            fail(f"{path}: {key} is {ds.dtype}, chunks {ds.chunks}, compression {ds.compression}; expected plain float32")
    networks = [str(n) for n in f.attrs["networks"]] if "networks" in f.attrs else [""]
    if networks != [""]:
        architectures = json.loads(f.attrs["architecture"])
        if sorted(architectures) != sorted(networks):
            fail(f"{path}: architecture entries {sorted(architectures)} differ from networks {networks}")
        if not all(any(k.startswith(n + ".") for n in networks) for k in keys):
            fail(f"{path}: a key lacks its network prefix")
    return networks, keys


def convert(path, folder, network, optimizer_name=None):
    """Runs the converter's to-pth; returns (state_dict, optimizer state_dict or None)."""
    stem = os.path.join(folder, (network or "net") + "_" + os.path.basename(path))
    command = [sys.executable, os.path.join(SCRIPTS, "convert_pth_checkpoint.py"), "to-pth", path, stem + ".pth"]
    if network:
        command += ["--network", network]
    if optimizer_name:
        command += ["--optimizer", stem + ".opt.pth", "--optimizer-name", optimizer_name]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    state = torch.load(stem + ".pth", weights_only=True)
    optimizer = torch.load(stem + ".opt.pth", weights_only=True) if optimizer_name else None
    return state, optimizer


def check_file(path, folder):
    with h5py.File(path, "r") as f:
        networks, keys = check_layout(path, f)
        architecture = json.loads(f.attrs["architecture"])
        probes = {k: torch.from_numpy(np.array(v)) for k, v in f["training_state/tensors"].items()} \
            if "training_state/tensors" in f else {}
        optimizer_groups = ({"optimizer": f["optimizer"]} if "optimizer" in f else {})
        optimizer_groups.update(dict(f["optimizers"].items()) if "optimizers" in f else {})
        optimizer_info = {name: (str(g.attrs["class"]), [str(k) for k in g.attrs["parameters"]],
                                 {k: np.array(v) for k, v in g.items()})
                          for name, g in optimizer_groups.items()}
    torch_nets = {}
    for network in networks:
        arch = architecture if network == "" else architecture[network]
        state, _ = convert(path, folder, network)
        net = nets.build_network(arch)
        net.load_state_dict(state, strict=True)  # raises on any missing, unexpected or mis-shaped key
        torch_nets[network] = net
        label = network or "net"
        message = f"{os.path.basename(path)} {label} ({arch['class']}, norm {arch['norm']}): " \
                  f"{len(state)} entries load with strict=True"
        if "probe_input" in probes and f"probe_output_{label}" in probes:
            net.eval()
            with torch.no_grad():
                diff = float((net(probes["probe_input"]) - probes[f"probe_output_{label}"]).abs().max())
            if diff > TOLERANCE:
                fail(f"{message}, but max |torch − MedNN| = {diff:.2e} > {TOLERANCE}")
            message += f"; max |torch − MedNN| = {diff:.1e}"
        print("ok", message)
    for name, (cls, params, stored) in optimizer_info.items():
        _, sd = convert(path, folder, networks[0], optimizer_name=name)
        by_key = {(n + "." if n else "") + k: p for n, net in torch_nets.items() for k, p in net.named_parameters()}
        ordered = [by_key[k] for k in params]
        hp = {k: v for k, v in sd["param_groups"][0].items() if k != "params"}
        optimizer = (torch.optim.Adam if cls == "Adam" else torch.optim.SGD)(ordered, **hp)
        optimizer.load_state_dict(sd)
        for i, key in enumerate(params):
            for moment, value in optimizer.state.get(ordered[i], {}).items():
                if moment == "step":
                    expected = stored[f"{key}.step"] if f"{key}.step" in stored else stored["step"]
                    if float(value) != float(expected):
                        fail(f"{path}: optimizer {name} {key} step {float(value)} != stored {expected}")
                elif not np.array_equal(value.numpy(), stored[f"{key}.{moment}"]):
                    fail(f"{path}: optimizer {name} {key}.{moment} differs from the stored values")
        for net in torch_nets.values():
            net.train()
        optimizer.zero_grad()
        sum(net(torch.rand(2, *probe_shape(net, probes))).square().mean()
            for n, net in torch_nets.items() if not n or any(k.startswith(n + ".") for k in params)).backward()
        optimizer.step()
        print(f"ok {os.path.basename(path)} optimizer {name!r} ({cls}, {len(params)} parameters, "
              f"{len(optimizer.state)} with state) loads into torch.optim.{cls} and steps")


def probe_shape(net, probes):
    """An input shape (without the batch) for a network: the probe's, else a 64×64 image of the input channels."""
    if "probe_input" in probes:
        return tuple(probes["probe_input"].shape[1:])
    first = next(p for p in net.parameters() if p.dim() == 4)
    return (first.shape[1], 64, 64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="MedNN checkpoints (default: export fresh ones from the Swift tests)")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as folder:
        files = args.files or export_swift_checkpoints(os.path.join(folder, "export"))
        for path in files:
            check_file(path, folder)
    print(f"checked {len(files)} checkpoint(s): h5py reads them, PyTorch loads every network strictly")


if __name__ == "__main__":
    main()
