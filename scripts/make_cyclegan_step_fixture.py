#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/cyclegan-step/cyclegan_step.h5: three CycleGAN training steps in PyTorch, from
known weights and inputs, so that MedTraining's CycleGANTrainer can be checked against PyTorch step by step.

Run from the repository root:  python3 scripts/make_cyclegan_step_fixture.py
                     or, to check the committed file against this torch:  ... --check
Needs torch and h5py (CI does not: the output is committed). Deterministic on CPU for a given torch version.

The step is the one of benchmarks/torch_reference.py (and ../shared/reference/torch_cyclegan_step.py), with
its constants imported from there: generators G_A (A→B) and G_B (B→A), PatchGANs D_A (judges B) and D_B
(judges A), instance norm, batch 1, no image pool;
  loss_G = LSGAN(D_A(fake_B), 1) + LSGAN(D_B(fake_A), 1) + λ·L1(rec_A, real_A) + λ·L1(rec_B, real_B)
           + λ·λ_idt·L1(G_A(real_B), real_B) + λ·λ_idt·L1(G_B(real_A), real_A)       (λ 10, λ_idt 0.5)
  one Adam step (lr 2e-4, β (0.5, 0.999)) over G_A + G_B with D_A, D_B frozen; then for D_A and D_B
  0.5·(LSGAN(D(real), 1) + LSGAN(D(fake.detach()), 0)), backward each, one Adam step over D_A + D_B.
The networks are those of scripts/make_torch_network_fixtures.py (imported, the reference state_dict keys),
initialised with its `init_weights` (normal(0, 0.02), biases 0) from a fixed seed.

Layout (float32 unless said; every group created with track_order; no chunking or compression):
  /initial/<net>/<key>            net ∈ G_A, G_B, D_A, D_B; key a state_dict key (`model.1.weight`)
  /inputs/real_A, /inputs/real_B  [1, 1, S, S], uniform in [-1, 1); the same batch for every step
  /losses/<name>                  [steps]: the value of each loss at each step, named as CycleGANTrainer's
                                  currentLosses() (G_A, G_B, cycle_A, cycle_B, idt_A, idt_B, D_A, D_B, already
                                  multiplied by their λ) plus G (the total generator loss)
  /step_<k>/<net>/<key>           every parameter after step k (k = 1 … steps)
  /step_<k>/optimizer/<net>.<key>.exp_avg, .exp_avg_sq   Adam moments after step k of ADAM_KEYS; after step 1
                                  also exp_avg of every other parameter: (1 − β1)·gradient, so every gradient of
                                  the first step is on record (weights after Adam hardly show a gradient's scale)
  root attributes: fixture_description, torch_version, options (JSON: sizes and hyperparameters),
    architectures (JSON: the four networks), steps, gradient_free_keys (see below),
    float64_max_abs_difference_losses [steps], float64_max_abs_difference_parameters [steps],
    float64_max_abs_difference_gradient_free [steps], float64_max_relative_difference_exp_avg [steps]
    (the same steps run in float64 from the same start differ from the float32 run by at most this — exp_avg
    relative to each tensor's largest |value|: how far float32 rounding alone moves each quantity, a floor for
    any tolerance of the Swift comparison)

gradient_free_keys lists the biases of convolutions followed by an InstanceNorm (`<net>.<key>`): the norm
subtracts the per-channel mean, so their gradient is exactly 0 in exact arithmetic and float32 leaves only
rounding noise (0 … 5e-6 here, against 1e-2 … 1 for the other parameters). Adam divides by √v + 1e-8, so
that noise moves them by up to lr per step in an arbitrary direction; they never change any output. The float64
run shows this (it keeps them ~0: float64_max_abs_difference_gradient_free ≈ k·lr after step k).
"""
import argparse
import copy
import json
import os
import sys

import torch
import torch.nn as nn

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(SCRIPTS, "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "cyclegan-step", "cyclegan_step.h5")
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
from make_torch_network_fixtures import NLayerDiscriminator, ResnetGenerator, init_weights  # noqa: E402
from torch_reference import BETA1, LAMBDA_CYCLE, LAMBDA_IDENTITY, LR  # noqa: E402

SEED = 2026
SIZE, NGF, NDF, BLOCKS, D_LAYERS, STEPS = 32, 4, 4, 1, 3, 3
NETS = ("G_A", "G_B", "D_A", "D_B")
# Adam moments saved per step: the first and last convolution of a generator, and of a discriminator.
ADAM_KEYS = ("G_A.model.1.weight", "G_B.model.18.weight", "G_B.model.18.bias", "D_A.model.0.weight",
             "D_B.model.11.weight", "D_B.model.11.bias")
LOSS_NAMES = ("G", "G_A", "G_B", "cycle_A", "cycle_B", "idt_A", "idt_B", "D_A", "D_B")


def architectures():
    g = {"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": NGF, "norm": "instance",
         "use_dropout": False, "n_blocks": BLOCKS, "padding_type": "reflect"}
    d = {"class": "NLayerDiscriminator", "input_nc": 1, "ndf": NDF, "n_layers": D_LAYERS, "norm": "instance"}
    return {"G_A": g, "G_B": g, "D_A": d, "D_B": d}


def build():
    """The four networks and the input batch, from SEED."""
    torch.manual_seed(SEED)
    nets = {name: (ResnetGenerator(1, 1, NGF, norm="instance", n_blocks=BLOCKS) if name[0] == "G"
                   else NLayerDiscriminator(1, NDF, n_layers=D_LAYERS, norm="instance")) for name in NETS}
    for net in nets.values():
        init_weights(net)
    real_A, real_B = torch.rand(1, 1, SIZE, SIZE) * 2 - 1, torch.rand(1, 1, SIZE, SIZE) * 2 - 1
    return nets, real_A, real_B


def gradient_free_keys(nets):
    """`<net>.<key>` of every convolution bias whose output goes straight into an InstanceNorm2d."""
    keys = []
    for name, net in nets.items():
        for prefix, module in net.named_modules():
            if not isinstance(module, nn.Sequential):
                continue
            children = list(module.named_children())
            for (i, a), (_, b) in zip(children, children[1:]):
                if isinstance(a, (nn.Conv2d, nn.ConvTranspose2d)) and a.bias is not None \
                        and isinstance(b, nn.InstanceNorm2d):
                    keys.append(f"{name}.{prefix + '.' if prefix else ''}{i}.bias")
    return keys


def train(nets, real_A, real_B, steps):
    """Runs `steps` steps of benchmarks/torch_reference.py's step(); returns per step the losses, the
    parameters (`<net>.<key>` → tensor) and the Adam state (`<net>.<key>.exp_avg` …) after the step."""
    G_A, G_B, D_A, D_B = (nets[n] for n in NETS)
    d_params = list(D_A.parameters()) + list(D_B.parameters())
    opt_G = torch.optim.Adam(list(G_A.parameters()) + list(G_B.parameters()), LR, betas=(BETA1, 0.999))
    opt_D = torch.optim.Adam(d_params, LR, betas=(BETA1, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    owner = {p: (name, key) for name in NETS for key, p in nets[name].named_parameters()}
    history = []
    for _ in range(steps):
        # --- exactly benchmarks/torch_reference.py's step(), with the loss terms kept for the record ---
        fake_B = G_A(real_A); rec_A = G_B(fake_B)
        fake_A = G_B(real_B); rec_B = G_A(fake_A)
        for p in d_params:
            p.requires_grad_(False)
        opt_G.zero_grad()
        pred_a, pred_b = D_A(fake_B), D_B(fake_A)
        terms = {"G_A": mse(pred_a, torch.ones_like(pred_a)), "G_B": mse(pred_b, torch.ones_like(pred_b)),
                 "cycle_A": LAMBDA_CYCLE * l1(rec_A, real_A), "cycle_B": LAMBDA_CYCLE * l1(rec_B, real_B),
                 "idt_A": LAMBDA_CYCLE * LAMBDA_IDENTITY * l1(G_A(real_B), real_B),
                 "idt_B": LAMBDA_CYCLE * LAMBDA_IDENTITY * l1(G_B(real_A), real_A)}
        loss_G = (terms["G_A"] + terms["G_B"] + terms["cycle_A"] + terms["cycle_B"] + terms["idt_A"]
                  + terms["idt_B"])
        loss_G.backward()
        opt_G.step()
        for p in d_params:
            p.requires_grad_(True)
        opt_D.zero_grad()
        for name, D, real, fake in (("D_A", D_A, real_B, fake_B), ("D_B", D_B, real_A, fake_A)):
            pred_real, pred_fake = D(real), D(fake.detach())
            loss_D = 0.5 * (mse(pred_real, torch.ones_like(pred_real)) + mse(pred_fake, torch.zeros_like(pred_fake)))
            loss_D.backward()
            terms[name] = loss_D
        opt_D.step()
        # --- the record ---
        losses = {"G": loss_G.item(), **{k: v.item() for k, v in terms.items()}}
        params = {f"{n}.{k}": p.detach().clone() for n in NETS for k, p in nets[n].named_parameters()}
        adam = {}
        for opt in (opt_G, opt_D):
            for p, s in opt.state.items():
                name, key = owner[p]
                for m in ("exp_avg", "exp_avg_sq"):
                    adam[f"{name}.{key}.{m}"] = s[m].detach().clone()
        history.append((losses, params, adam))
    return history


def float64_deviation(nets, real_A, real_B, history, free):
    """How far float32 rounding moves the run: the same steps in float64 from the same start, compared."""
    wide = {n: copy.deepcopy(net).double() for n, net in nets.items()}
    history64 = train(wide, real_A.double(), real_B.double(), len(history))
    out = {"losses": [], "parameters": [], "gradient_free": [], "exp_avg": []}
    for (l32, p32, a32), (l64, p64, a64) in zip(history, history64):
        out["losses"].append(max(abs(l32[k] - l64[k]) for k in l32))
        live = [float((p32[k].double() - p64[k]).abs().max()) for k in p32 if k not in free]
        dead = [float((p32[k].double() - p64[k]).abs().max()) for k in p32 if k in free]
        out["parameters"].append(max(live))
        out["gradient_free"].append(max(dead))
        rel = [float(((a32[k].double() - a64[k]).abs() / a64[k].abs().max()).max())
               for k in a32 if k.endswith(".exp_avg") and k.rsplit(".", 1)[0] not in free]
        out["exp_avg"].append(max(rel))
    return out


def write(path, nets, initial, real_A, real_B, history, free, deviation):
    import h5py
    import numpy as np
    os.makedirs(os.path.dirname(path), exist_ok=True)
    options = {"size": SIZE, "ngf": NGF, "ndf": NDF, "n_blocks": BLOCKS, "n_layers_D": D_LAYERS,
               "norm": "instance", "gan_mode": "lsgan", "lambda_A": LAMBDA_CYCLE, "lambda_B": LAMBDA_CYCLE,
               "lambda_identity": LAMBDA_IDENTITY, "lr": LR, "beta1": BETA1, "beta2": 0.999, "eps": 1e-8,
               "pool_size": 0, "batch_size": 1, "init_type": "normal", "init_gain": 0.02, "seed": SEED}
    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["fixture_description"] = (
            f"{STEPS} CycleGAN steps of benchmarks/torch_reference.py from fixed weights and inputs; "
            f"torch {torch.__version__} CPU float32, 1 thread")
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["options"] = json.dumps(options)
        f.attrs["architectures"] = json.dumps(architectures())
        f.attrs["steps"] = STEPS
        f.attrs["gradient_free_keys"] = free
        for what, values in deviation.items():
            name = "float64_max_abs_difference_" + what if what != "exp_avg" else \
                "float64_max_relative_difference_exp_avg"
            f.attrs[name] = np.array(values, dtype=np.float64)
        g = f.create_group("initial", track_order=True)
        for name in NETS:
            gn = g.create_group(name, track_order=True)
            for key, value in initial[name].items():
                gn.create_dataset(key, data=value.numpy().astype(np.float32))
        g = f.create_group("inputs", track_order=True)
        g.create_dataset("real_A", data=real_A.numpy().astype(np.float32))
        g.create_dataset("real_B", data=real_B.numpy().astype(np.float32))
        g = f.create_group("losses", track_order=True)
        for name in LOSS_NAMES:
            g.create_dataset(name, data=np.array([h[0][name] for h in history], dtype=np.float32))
        for k, (_, params, adam) in enumerate(history, start=1):
            g = f.create_group(f"step_{k}", track_order=True)
            for name in NETS:
                gn = g.create_group(name, track_order=True)
                for key in initial[name]:
                    gn.create_dataset(key, data=params[f"{name}.{key}"].numpy().astype(np.float32))
            go = g.create_group("optimizer", track_order=True)
            for key in ADAM_KEYS:
                for m in ("exp_avg", "exp_avg_sq"):
                    go.create_dataset(f"{key}.{m}", data=adam[f"{key}.{m}"].numpy().astype(np.float32))
            if k == 1:
                for key in (f"{n}.{p}" for n in NETS for p in initial[n]):
                    if key not in ADAM_KEYS:
                        go.create_dataset(f"{key}.exp_avg", data=adam[f"{key}.exp_avg"].numpy().astype(np.float32))


def run():
    torch.set_num_threads(1)
    nets, real_A, real_B = build()
    initial = {n: {k: v.detach().clone() for k, v in net.state_dict().items()} for n, net in nets.items()}
    # state_dict = parameters here (instance norm without affine or statistics has no buffers)
    assert all(len(initial[n]) == len(list(nets[n].parameters())) for n in NETS)
    start = {n: copy.deepcopy(net) for n, net in nets.items()}
    free = gradient_free_keys(nets)
    history = train(nets, real_A, real_B, STEPS)
    deviation = float64_deviation(start, real_A, real_B, history, set(free))
    return start, initial, real_A, real_B, history, free, deviation


def check(path):
    """Reruns the steps from the committed file's initial weights and inputs and compares with it."""
    import h5py
    import numpy as np
    torch.set_num_threads(1)
    nets, _, _ = build()
    with h5py.File(path, "r") as f:
        for n in NETS:
            nets[n].load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in f["initial"][n].items()})
        real_A, real_B = (torch.from_numpy(np.array(f["inputs"][x])) for x in ("real_A", "real_B"))
        history = train(nets, real_A, real_B, int(f.attrs["steps"]))
        worst = 0.0
        for k, (losses, params, _) in enumerate(history, start=1):
            dl = max(abs(losses[n] - float(f["losses"][n][k - 1])) for n in LOSS_NAMES)
            dp = max(float(np.abs(params[f"{n}.{key}"].numpy() - np.array(v)).max())
                     for n in NETS for key, v in f[f"step_{k}"][n].items())
            worst = max(worst, dl, dp)
            print(f"step {k}: max |torch − fixture| losses {dl:.2e}, parameters {dp:.2e}")
    return 0 if worst <= 1e-6 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT, help="output file (default Tests/Fixtures/cyclegan-step/cyclegan_step.h5)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: rerun the steps from the committed file and compare with it")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.out))
    start, initial, real_A, real_B, history, free, deviation = run()
    write(args.out, start, initial, real_A, real_B, history, free, deviation)
    n_params = {n: sum(p.numel() for p in start[n].parameters()) for n in NETS}
    print(f"{os.path.relpath(args.out, ROOT)}: {STEPS} steps, parameters {n_params}, "
          f"{os.path.getsize(args.out) / 1024:.0f} KiB; {len(free)} gradient-free biases")
    for k, (losses, _, _) in enumerate(history, start=1):
        print(f"  step {k}: " + ", ".join(f"{n} {losses[n]:.6f}" for n in LOSS_NAMES))
    for what, values in deviation.items():
        print(f"  float64 vs float32, {what}: " + ", ".join(f"{v:.2e}" for v in values))


if __name__ == "__main__":
    main()
