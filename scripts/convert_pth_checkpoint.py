#!/usr/bin/env python3
"""Converts pytorch-CycleGAN-and-pix2pix network weights (.pth state_dict) to a MedSynth checkpoint (.h5) and
back. The format is described in docs/CHECKPOINT_FORMAT.md.

  python3 scripts/convert_pth_checkpoint.py to-h5 latest_net_G_A.pth G_A.h5 \\
      --architecture '{"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 64,
                       "norm": "instance", "n_blocks": 9}'
  python3 scripts/convert_pth_checkpoint.py to-pth G_A.h5 G_A.pth
  python3 scripts/convert_pth_checkpoint.py to-pth latest.h5 G_A.pth --network G_A \
      --optimizer optimizer_G.pth --optimizer-name G      # one network of a MedSynth training checkpoint
  python3 scripts/convert_pth_checkpoint.py self-test          # round trips on random networks

--architecture takes a JSON object or the path of a file holding one; arguments left out take the reference
defaults and are written out in full. The state_dict is checked against that architecture (same keys, same
shapes); a `module.` prefix (DataParallel) is removed, and the InstanceNorm running statistics that old versions
of the reference saved are dropped with a warning (the reference's own loader does the same). Optionally an
Adam state_dict for exactly this network's parameters travels with it (--optimizer), as the reference does not
save optimizers.

Checkpoints written by MedSynth's trainers (MedNN's `Checkpoint`) may hold several networks, each key prefixed
with the network's name (`G_A.model.1.weight`), and several optimizers (`/optimizers/<name>`, Adam or SGD);
`to-pth --network NAME` writes one network's state_dict with the prefix removed, `--optimizer-name NAME` one
optimizer's torch state_dict (its parameter indices follow the optimizer's `parameters` attribute, e.g.
G_A's parameters then G_B's, as `itertools.chain(netG_A.parameters(), netG_B.parameters())` in the reference).

Conversion is bit-exact both ways: float32 values are copied, never recomputed (self-test checks this).
Needs torch, h5py, numpy.
"""
import argparse
import collections
import json
import os
import pickle
import re
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import torch

FORMAT = "medsynth-checkpoint-1"
SCRIPTS = os.path.dirname(os.path.abspath(__file__))
BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")
ADAM_MOMENTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


class ConversionError(Exception):
    """A file or argument that cannot be converted; the message says which and why."""


def medsynth_version():
    path = os.path.join(SCRIPTS, "..", "Sources", "MedCore", "MedSynthVersion.swift")
    try:
        with open(path) as f:
            m = re.search(r'string\s*=\s*"([^"]+)"', f.read())
        return m.group(1) if m else "unknown"
    except OSError:
        return "unknown"


def _networks():
    sys.path.insert(0, SCRIPTS)
    import make_torch_network_fixtures as nets
    return nets


def parse_architecture(text):
    """A JSON object given inline or as the path of a JSON file."""
    if os.path.isfile(text):
        with open(text) as f:
            text = f.read()
    try:
        arch = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConversionError(f"--architecture is neither a JSON object nor a JSON file: {e}: {text[:200]!r}")
    try:
        return _networks().complete_architecture(arch)
    except ValueError as e:
        raise ConversionError(str(e))


# --- state_dict normalisation and checking ------------------------------------------------------------------
def normalise_state_dict(state, arch, source):
    """Checks `state` against the network `arch` describes and returns (ordered state_dict, parameter keys).

    Strips a `module.` prefix, drops legacy InstanceNorm running statistics, orders entries as the network's
    own state_dict does; raises ConversionError listing missing, unexpected and mis-shaped keys."""
    if all(k.startswith("module.") for k in state):
        state = collections.OrderedDict((k[len("module."):], v) for k, v in state.items())
        print(f"{source}: removed the DataParallel 'module.' prefix", file=sys.stderr)
    net = _networks().build_network(arch)
    reference = net.state_dict()
    modules = dict(net.named_modules())
    dropped = []
    for k in list(state):
        owner, _, leaf = k.rpartition(".")
        if k not in reference and leaf in BUFFER_SUFFIXES and isinstance(modules.get(owner), torch.nn.InstanceNorm2d):
            dropped.append(k)
            del state[k]
    if dropped:
        print(f"{source}: dropped {len(dropped)} InstanceNorm running-statistics entries saved by old versions "
              f"of the reference (the current reference ignores them too): {', '.join(dropped[:4])}"
              f"{', …' if len(dropped) > 4 else ''}", file=sys.stderr)
    missing = [k for k in reference if k not in state]
    unexpected = [k for k in state if k not in reference]
    shapes = [f"{k}: file {list(state[k].shape)}, {arch['class']} expects {list(reference[k].shape)}"
              for k in reference if k in state and tuple(state[k].shape) != tuple(reference[k].shape)]
    if missing or unexpected or shapes:
        lines = [f"{source} does not match the architecture {json.dumps(arch)}:"]
        if missing:
            lines.append(f"  missing ({len(missing)}): {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}")
        if unexpected:
            lines.append(f"  unexpected ({len(unexpected)}): {', '.join(unexpected[:8])}"
                         f"{' …' if len(unexpected) > 8 else ''}")
        lines += ["  shape " + s for s in shapes[:8]]
        has_stats = any(k.endswith(".running_mean") for k in state)
        if arch["norm"] != "instance" and not has_stats and any(k.endswith(".bias") for k in unexpected):
            lines.append("  hint: biases without running statistics look like norm 'instance' (CycleGAN's "
                         "default; the architecture's default is 'batch', as in the reference's define_G)")
        elif arch["norm"] != "batch" and has_stats:
            lines.append("  hint: running statistics look like norm 'batch' (pix2pix's default)")
        raise ConversionError("\n".join(lines))
    out = collections.OrderedDict()
    for k, ref in reference.items():
        v = state[k].detach().cpu()
        if ref.is_floating_point():
            if v.dtype != torch.float32:
                lossy = v.dtype == torch.float64
                print(f"{source}: {k} is {v.dtype}, stored as float32{' (rounded)' if lossy else ''}",
                      file=sys.stderr)
                v = v.to(torch.float32)
        elif v.dtype != torch.int64:
            v = v.to(torch.int64)
        out[k] = v.contiguous()
    params = [k for k, _ in net.named_parameters()]
    return out, params


# --- HDF5 checkpoint ---------------------------------------------------------------------------------------
def write_checkpoint(path, state, architecture, hyperparameters=None, optimizer=None, source=None):
    """Writes a MedSynth checkpoint. `state`: a state_dict of the network `architecture` describes;
    `optimizer`: an optional torch Adam state_dict over exactly the network's parameters (named_parameters
    order)."""
    arch = _networks().complete_architecture(architecture)
    state, params = normalise_state_dict(collections.OrderedDict(state), arch, source or path)
    param_set = set(params)
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["format"] = FORMAT
        f.attrs["architecture"] = json.dumps(arch)
        f.attrs["hyperparameters"] = json.dumps(hyperparameters or {})
        f.attrs["medsynth_version"] = medsynth_version()
        f.attrs["state_dict_keys"] = list(state)
        if source:
            f.attrs["converted_from"] = os.path.basename(source)
        gp = f.create_group("parameters", track_order=True)
        gb = f.create_group("buffers", track_order=True)
        for k, v in state.items():
            (gp if k in param_set else gb).create_dataset(k, data=v.numpy())
        if optimizer is not None:
            _write_adam(f, optimizer, params, state)


def _write_adam(f, optimizer, params, state):
    groups = optimizer.get("param_groups") if isinstance(optimizer, dict) else None
    if not groups or "state" not in optimizer:
        raise ConversionError("--optimizer: not a torch optimizer state_dict (needs 'state' and 'param_groups')")
    if len(groups) != 1 or list(groups[0]["params"]) != list(range(len(params))):
        raise ConversionError(f"--optimizer: expected one parameter group over this network's {len(params)} "
                              f"parameters (ids 0..{len(params) - 1}); got groups of sizes "
                              f"{[len(g['params']) for g in groups]}")
    hp = {k: v for k, v in groups[0].items() if k != "params"}
    g = f.create_group("optimizer", track_order=True)
    g.attrs["class"] = "Adam"
    g.attrs["hyperparameters"] = json.dumps(hp)
    g.attrs["parameters"] = list(params)
    steps = set()
    for i, key in enumerate(params):
        s = optimizer["state"].get(i)
        if not s:
            continue
        unknown = set(s) - set(ADAM_MOMENTS) - {"step"}
        if unknown:
            raise ConversionError(f"--optimizer: state of {key} has entries {sorted(unknown)}; Adam has "
                                  f"step, {', '.join(ADAM_MOMENTS)}")
        steps.add(float(s["step"]))
        for m in ADAM_MOMENTS:
            if m in s:
                t = s[m].detach().cpu()
                if tuple(t.shape) != tuple(state[key].shape) or t.dtype != torch.float32:
                    raise ConversionError(f"--optimizer: {key}.{m} is {t.dtype} {list(t.shape)}, expected "
                                          f"float32 {list(state[key].shape)}")
                g.create_dataset(f"{key}.{m}", data=t.numpy())
    if len(steps) > 1:
        raise ConversionError(f"--optimizer: parameters have different step counts {sorted(steps)}")
    g.create_dataset("step", data=np.int64(steps.pop() if steps else 0))


def read_checkpoint(path, network=None, optimizer_name=None):
    """Reads a MedSynth checkpoint: (state_dict in stored order, root attributes, torch optimizer state_dict or
    None).

    For a checkpoint of several networks (root attribute `networks`), `network` picks one: its keys come back
    without the `<network>.` prefix and attrs["architecture"] is that network's architecture. `optimizer_name`
    picks `/optimizers/<name>` (default: `/optimizer`, else the only optimizer); the optimizer state_dict indexes
    parameters in the order of the group's `parameters` attribute (all stored parameters in state_dict order
    when it has none)."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ConversionError(f"{path}: not an HDF5 file ({e})")
    with f:
        fmt = f.attrs.get("format")
        if fmt != FORMAT:
            raise ConversionError(f"{path}: attribute format is {fmt!r}, expected {FORMAT!r} "
                                  f"(not a MedSynth checkpoint, or a newer version of the format)")
        attrs = {k: (v if isinstance(v, str) else v.tolist() if hasattr(v, "tolist") else v)
                 for k, v in f.attrs.items()}
        keys = list(attrs["state_dict_keys"])
        networks = list(attrs.get("networks", []))
        prefix = ""
        if networks:
            if network not in networks:
                raise ConversionError(f"{path} holds the networks {networks}; choose one with --network"
                                      + (f" (not {network!r})" if network is not None else ""))
            prefix = network + "."
            attrs["architecture"] = json.dumps(json.loads(attrs["architecture"])[network])
        elif network:
            raise ConversionError(f"{path} holds one unnamed network; leave out --network")
        state = collections.OrderedDict()
        for k in keys:
            group = "parameters" if k in f["parameters"] else "buffers"
            if k not in f[group]:
                raise ConversionError(f"{path}: key {k} is listed in state_dict_keys but stored in neither "
                                      f"/parameters nor /buffers")
            if k.startswith(prefix):
                state[k[len(prefix):]] = torch.from_numpy(np.array(f[group][k]))
        stored = set(f["parameters"]) | set(f["buffers"])
        extra = sorted(stored - set(keys))
        if extra:
            raise ConversionError(f"{path}: datasets not listed in state_dict_keys: {extra[:8]}")
        named = {"optimizer": f["optimizer"]} if "optimizer" in f else {}
        named.update({f"optimizers/{n}": g for n, g in f["optimizers"].items()} if "optimizers" in f else {})
        optimizer = None
        if optimizer_name is not None:
            g = named.get("optimizer" if optimizer_name == "optimizer" else f"optimizers/{optimizer_name}")
            if g is None:
                raise ConversionError(f"{path}: no optimizer {optimizer_name!r}; it holds "
                                      f"{[n.split('/')[-1] for n in named]}")
            optimizer = _read_optimizer(g, [k for k in keys if k in f["parameters"]])
        elif "optimizer" in named or len(named) == 1:
            optimizer = _read_optimizer(named.get("optimizer") or next(iter(named.values())),
                                        [k for k in keys if k in f["parameters"]])
    return state, attrs, optimizer


def _read_optimizer(g, stored_params):
    """One optimizer group as a torch optimizer state_dict (Adam or SGD)."""
    cls = g.attrs.get("class", "Adam")
    params = list(g.attrs["parameters"]) if "parameters" in g.attrs else stored_params  # state_dict order
    shared = int(g["step"][()]) if "step" in g else None
    moments = ADAM_MOMENTS if cls == "Adam" else ("momentum_buffer",) if cls == "SGD" else None
    if moments is None:
        raise ConversionError(f"{g.file.filename}: optimizer {g.name} is {cls}; only Adam and SGD convert to torch")
    st = {}
    for i, k in enumerate(params):
        tensors = {m: torch.from_numpy(np.array(g[f"{k}.{m}"])) for m in moments if f"{k}.{m}" in g}
        step = int(g[f"{k}.step"][()]) if f"{k}.step" in g else shared if tensors else None
        if cls == "Adam" and tensors:
            if step is None:
                raise ConversionError(f"{g.file.filename}: {g.name} has state for {k} but no step count")
            st[i] = {"step": torch.tensor(float(step)), **tensors}
        elif cls == "SGD" and tensors:
            st[i] = tensors
    hp = json.loads(g.attrs["hyperparameters"])
    if "betas" in hp:
        hp["betas"] = tuple(hp["betas"])
    return {"state": st, "param_groups": [{**hp, "params": list(range(len(params)))}]}


# --- .pth side -------------------------------------------------------------------------------------------------
def load_pth_state_dict(path):
    with open(path, "rb") as f:
        head = f.read(4)
    if not zipfile.is_zipfile(path) and head[:1] != b"\x80":
        raise ConversionError(f"{path}: not a PyTorch file (neither the zip archive torch.save writes nor a "
                              f"legacy pickle; starts with {head!r})")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise ConversionError(f"{path}: holds more than tensors (a whole pickled model or optimizer object?), "
                              f"which is not loaded for safety; save net.state_dict() instead. torch: "
                              f"{str(e).splitlines()[-1] if str(e) else type(e).__name__}")
    except Exception as e:  # torch raises zip, EOF and value errors alike for damaged files
        raise ConversionError(f"{path}: cannot be read as a PyTorch state_dict: {type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''}")
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                       for k, v in obj.items()):
        kinds = type(obj).__name__ if not isinstance(obj, dict) else \
            ", ".join(sorted({f"{type(v).__name__}" for v in obj.values()})) or "empty"
        raise ConversionError(f"{path}: expected a state_dict (a mapping from dotted names to tensors, as "
                              f"torch.save(net.state_dict()) writes); found {kinds}")
    return collections.OrderedDict(obj)


def to_h5(args):
    arch = parse_architecture(args.architecture)
    state = load_pth_state_dict(args.input)
    hp = json.loads(args.hyperparameters) if args.hyperparameters else {}
    optimizer = None
    if args.optimizer:
        try:
            optimizer = torch.load(args.optimizer, map_location="cpu", weights_only=True)
        except Exception as e:
            raise ConversionError(f"{args.optimizer}: cannot be read as a torch optimizer state_dict: "
                                  f"{type(e).__name__}: {e}")
    write_checkpoint(args.output, state, arch, hp, optimizer, source=args.input)
    print(f"wrote {args.output}: {len(state)} entries, architecture {arch['class']}")


def to_pth(args):
    network, optimizer_name = getattr(args, "network", None), getattr(args, "optimizer_name", None)
    state, attrs, optimizer = read_checkpoint(args.input, network, optimizer_name)
    torch.save(state, args.output)
    print(f"wrote {args.output}: {len(state)} entries ({json.loads(attrs['architecture'])['class']})")
    if args.optimizer:
        if optimizer is None:
            raise ConversionError(f"{args.input} holds no /optimizer group (name one of /optimizers with "
                                  f"--optimizer-name)")
        torch.save(optimizer, args.optimizer)
        print(f"wrote {args.optimizer}: optimizer state for {len(optimizer['state'])} parameters")


# --- self-test -------------------------------------------------------------------------------------------------
def self_test(_args):
    """Round trips .pth -> .h5 -> .pth -> .h5 for every architecture and norm, with an Adam state after a few
    steps and with a DataParallel prefix; every tensor must come back bit-identical."""
    nets = _networks()
    cases = [
        {"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 4, "norm": "instance", "n_blocks": 2},
        {"class": "ResnetGenerator", "input_nc": 3, "output_nc": 1, "ngf": 4, "norm": "batch", "n_blocks": 1,
         "use_dropout": True},
        {"class": "UnetGenerator", "input_nc": 1, "output_nc": 1, "num_downs": 5, "ngf": 4, "norm": "batch"},
        {"class": "UnetGenerator", "input_nc": 1, "output_nc": 1, "num_downs": 6, "ngf": 4, "norm": "none"},
        {"class": "NLayerDiscriminator", "input_nc": 2, "ndf": 4, "n_layers": 3, "norm": "instance"},
        {"class": "PixelDiscriminator", "input_nc": 1, "ndf": 4, "norm": "batch"},
    ]
    d = tempfile.mkdtemp()
    for i, arch in enumerate(cases):
        torch.manual_seed(i)
        net = nets.build_network(arch)
        opt = torch.optim.Adam(net.parameters(), 2e-4, betas=(0.5, 0.999))
        side = 2 ** arch.get("num_downs", 5)
        for _ in range(2):
            opt.zero_grad()
            net(torch.rand(2, arch["input_nc"], side, side)).square().mean().backward()
            opt.step()
        state = net.state_dict()
        pth, h5a, pth2, h5b, opt2 = (os.path.join(d, f"{i}{s}") for s in
                                     (".pth", "a.h5", "b.pth", "b.h5", "opt.pth"))
        wrapped = collections.OrderedDict(("module." + k, v) for k, v in state.items()) if i == 0 else state
        torch.save(wrapped, pth)
        torch.save(opt.state_dict(), pth + ".opt")
        to_h5(argparse.Namespace(input=pth, output=h5a, architecture=json.dumps(arch), hyperparameters=None,
                                 optimizer=pth + ".opt"))
        to_pth(argparse.Namespace(input=h5a, output=pth2, optimizer=opt2))
        back = torch.load(pth2, weights_only=True)
        assert list(back) == list(state), (list(back), list(state))
        for k in state:
            assert back[k].dtype == state[k].dtype and torch.equal(back[k], state[k]), k
        o1, o2 = opt.state_dict(), torch.load(opt2, weights_only=True)
        assert o1["param_groups"] == o2["param_groups"], (o1["param_groups"], o2["param_groups"])
        for j, s in o1["state"].items():
            for m, t in s.items():
                assert torch.equal(t, o2["state"][j][m]), (j, m)
        to_h5(argparse.Namespace(input=pth2, output=h5b, architecture=json.dumps(arch), hyperparameters=None,
                                 optimizer=opt2))
        with h5py.File(h5a) as fa, h5py.File(h5b) as fb:
            for grp in ("parameters", "buffers", "optimizer"):
                for k in fa[grp]:
                    a, b = np.array(fa[grp][k]), np.array(fb[grp][k])
                    assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (grp, k)
        net2 = nets.build_network(arch)
        net2.load_state_dict(back)
        print(f"ok {arch['class']} norm={arch['norm']}: {len(state)} entries bit-identical after .pth->.h5->.pth->.h5")
    # legacy InstanceNorm statistics (saved by old versions of the reference) are dropped
    torch.manual_seed(0)
    arch = cases[0]
    state = nets.build_network(arch).state_dict()
    legacy = collections.OrderedDict()
    for k, v in state.items():
        legacy[k] = v
        if k == "model.1.bias":
            legacy["model.2.running_mean"], legacy["model.2.running_var"] = torch.zeros(4), torch.ones(4)
    torch.save(legacy, os.path.join(d, "legacy.pth"))
    to_h5(argparse.Namespace(input=os.path.join(d, "legacy.pth"), output=os.path.join(d, "legacy.h5"),
                             architecture=json.dumps(arch), hyperparameters=None, optimizer=None))
    back, _, _ = read_checkpoint(os.path.join(d, "legacy.h5"))
    assert list(back) == list(state) and all(torch.equal(back[k], state[k]) for k in state)
    print("ok legacy InstanceNorm running statistics dropped")
    # refusals
    for bad, expect in ((lambda p: torch.save({"model": object.__class__.__name__}, p), "expected a state_dict"),
                        (lambda p: torch.save(nets.build_network(arch), p), "holds more than tensors"),
                        (lambda p: open(p, "wb").write(b"not a checkpoint"), "not a PyTorch file")):
        p = os.path.join(d, "bad.pth")
        bad(p)
        try:
            to_h5(argparse.Namespace(input=p, output=p + ".h5", architecture=json.dumps(cases[0]),
                                     hyperparameters=None, optimizer=None))
            raise AssertionError("accepted a bad file")
        except ConversionError as e:
            assert expect in str(e), str(e)
            print(f"ok refused: {str(e).splitlines()[0]}")
    with h5py.File(os.path.join(d, "other.h5"), "w") as f:
        f.attrs["format"] = "something-else"
    try:
        to_pth(argparse.Namespace(input=os.path.join(d, "other.h5"), output=os.path.join(d, "x.pth"),
                                  optimizer=None))
        raise AssertionError("accepted a foreign HDF5 file")
    except ConversionError as e:
        print(f"ok refused: {e}")
    try:
        torch.manual_seed(0)
        wrong = nets.build_network(cases[0]).state_dict()
        torch.save(wrong, os.path.join(d, "w.pth"))
        to_h5(argparse.Namespace(input=os.path.join(d, "w.pth"), output=os.path.join(d, "w.h5"),
                                 architecture=json.dumps({**cases[0], "n_blocks": 3}), hyperparameters=None,
                                 optimizer=None))
        raise AssertionError("accepted a mismatched architecture")
    except ConversionError as e:
        print(f"ok refused: {e.args[0].splitlines()[0]} / {e.args[0].splitlines()[1].strip()}")
    print("self-test passed")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("to-h5", help="PyTorch state_dict (.pth) -> MedSynth checkpoint (.h5)")
    a.add_argument("input")
    a.add_argument("output")
    a.add_argument("--architecture", required=True,
                   help='JSON object or file, e.g. {"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, '
                        '"ngf": 64, "norm": "instance", "n_blocks": 9}')
    a.add_argument("--hyperparameters", help="JSON object stored as the hyperparameters attribute")
    a.add_argument("--optimizer", help="a torch.optim.Adam state_dict over this network's parameters")
    a.set_defaults(func=to_h5)
    b = sub.add_parser("to-pth", help="MedSynth checkpoint (.h5) -> PyTorch state_dict (.pth)")
    b.add_argument("input")
    b.add_argument("output")
    b.add_argument("--optimizer", help="also write the stored optimizer state as a torch state_dict here")
    b.add_argument("--network", help="the network to write, for checkpoints of several networks (G_A, D_B, …)")
    b.add_argument("--optimizer-name", help="the optimizer to write, for checkpoints with /optimizers/<name>")
    b.set_defaults(func=to_pth)
    c = sub.add_parser("self-test", help="round-trip and refusal checks on small random networks")
    c.set_defaults(func=self_test)
    args = p.parse_args()
    try:
        args.func(args)
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
