#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/pix2pix-step/pix2pix_step.h5: three pix2pix training steps in PyTorch, from known
weights and inputs, so that MedTraining's Pix2PixTrainer can be checked against PyTorch step by step.

Run from the repository root:  python3 scripts/make_pix2pix_step_fixture.py
                     or, to check the committed file against this torch:  ... --check
Needs torch and h5py (CI does not: the output is committed). Deterministic on CPU for a given torch version.

The step is `Pix2PixModel.optimize_parameters` of pytorch-CycleGAN-and-pix2pix (models/pix2pix_model.py) with
its pix2pix defaults apart from the sizes: U-Net generator G (A→B), basic PatchGAN D (n_layers 3) on
concat(A, B), batch norm in training mode, vanilla GAN loss (BCE with logits), λ_L1 100, no image pool,
Adam lr 2e-4, β (0.5, 0.999):
  fake_B = G(real_A)
  D step: loss_D = 0.5·(BCE(D(cat(real_A, fake_B).detach()), 0) + BCE(D(cat(real_A, real_B)), 1)), in that
          order (fake first), backward, one Adam step over D;
  G step: with D frozen, loss_G = BCE(D(cat(real_A, fake_B)), 1) + 100·L1(fake_B, real_B), backward, one Adam
          step over G.
The generator has 5 downsamplings, so it has no ngf·8 intermediate levels and hence no dropout layer (the
reference's pix2pix dropout sits only there): the step is deterministic. D runs three times per step (fake,
real, fake again for G), each moving its batch-norm running statistics. The networks are those of
scripts/make_torch_network_fixtures.py (imported, the reference state_dict keys), initialised with its
`init_weights` (convolutions normal(0, 0.02), biases 0, batch-norm weights normal(1, 0.02)) from a fixed seed.

Layout (float32 unless said; every group created with track_order; no chunking or compression):
  /initial/<net>/<key>            net ∈ G, D; key a state_dict key (`model.model.0.weight`), buffers included
                                  (running_mean, running_var; num_batches_tracked as float32)
  /inputs/real_A, /inputs/real_B  [N, 1, S, S], uniform in [-1, 1); the same batch for every step
  /losses/<name>                  [steps]: G_GAN, G_L1 (already × λ_L1), D_real, D_fake (unhalved, as the
                                  reference's loss_D_real / loss_D_fake), G (= G_GAN + G_L1), D (the halved sum)
  /step_<k>/<net>/<key>           every state_dict entry after step k (k in snapshot_steps: 1 and 3), buffers
                                  included
  /step_<k>/optimizer/<net>.<key>.exp_avg, .exp_avg_sq   Adam moments after step k of ADAM_KEYS; after step 1
                                  also exp_avg of every other parameter: (1 − β1)·gradient, so every gradient of
                                  the first step is on record
  root attributes: fixture_description, torch_version, options (JSON: sizes and hyperparameters),
    architectures (JSON: both networks), steps, snapshot_steps,
    float64_max_abs_difference_losses [steps], float64_max_abs_difference_parameters [steps],
    float64_max_abs_difference_buffers [steps], float64_max_relative_difference_exp_avg [steps]
    (the same steps run in float64 from the same start differ from the float32 run by at most this — exp_avg
    relative to each tensor's largest |value|: how far float32 rounding alone moves each quantity, a floor for
    any tolerance of the Swift comparison)
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
OUT = os.path.join(ROOT, "Tests", "Fixtures", "pix2pix-step", "pix2pix_step.h5")
sys.path.insert(0, SCRIPTS)
from make_torch_network_fixtures import NLayerDiscriminator, UnetGenerator, init_weights  # noqa: E402

SEED = 2026
# Sizes: 32 px (5 downsamplings: 32 → 1), batch 2 (batch norm across samples), ngf = ndf = 2 so that the
# weights of four snapshots stay well below the fixture size limit (500 KB).
SIZE, BATCH, NGF, NDF, DOWNS, D_LAYERS, STEPS = 32, 2, 2, 2, 5, 3, 3
# The steps after which the whole state is recorded (the losses are recorded after every step): the first, which
# holds every gradient, and the last; step 2's weights would take the file above 500 KB.
SNAPSHOT_STEPS = (1, 3)
LAMBDA_L1, LR, BETA1, BETA2 = 100.0, 2e-4, 0.5, 0.999
NETS = ("G", "D")
# Adam moments saved per step: the first and last convolution of G, a batch-norm layer of each, D's first and
# last convolution.
ADAM_KEYS = ("G.model.model.0.weight", "G.model.model.3.weight", "G.model.model.3.bias",
             "G.model.model.1.model.2.weight", "D.model.0.weight", "D.model.3.weight", "D.model.11.weight",
             "D.model.11.bias")
LOSS_NAMES = ("G_GAN", "G_L1", "D_real", "D_fake", "G", "D")


def architectures():
    g = {"class": "UnetGenerator", "input_nc": 1, "output_nc": 1, "num_downs": DOWNS, "ngf": NGF, "norm": "batch",
         "use_dropout": True}
    d = {"class": "NLayerDiscriminator", "input_nc": 2, "ndf": NDF, "n_layers": D_LAYERS, "norm": "batch"}
    return {"G": g, "D": d}


def build():
    """Both networks (training mode) and the input batch, from SEED."""
    torch.manual_seed(SEED)
    nets = {"G": UnetGenerator(1, 1, DOWNS, ngf=NGF, norm="batch", use_dropout=True),
            "D": NLayerDiscriminator(2, NDF, n_layers=D_LAYERS, norm="batch")}
    for net in nets.values():
        init_weights(net)
        net.train()
    assert not any(isinstance(m, nn.Dropout) for m in nets["G"].modules()), "5 downsamplings have no dropout"
    real_A, real_B = torch.rand(BATCH, 1, SIZE, SIZE) * 2 - 1, torch.rand(BATCH, 1, SIZE, SIZE) * 2 - 1
    return nets, real_A, real_B


def state(nets):
    """`<net>.<key>` → a detached copy of every state_dict entry (buffers included)."""
    return {f"{n}.{k}": v.detach().clone() for n in NETS for k, v in nets[n].state_dict().items()}


def train(nets, real_A, real_B, steps):
    """Runs `steps` steps of the reference's optimize_parameters; returns per step the losses, the state
    (`<net>.<key>` → tensor, parameters and buffers) and the Adam state (`<net>.<key>.exp_avg` …) after it."""
    G, D = nets["G"], nets["D"]
    opt_G = torch.optim.Adam(G.parameters(), LR, betas=(BETA1, BETA2))
    opt_D = torch.optim.Adam(D.parameters(), LR, betas=(BETA1, BETA2))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()

    def gan(prediction, real):
        return bce(prediction, torch.full_like(prediction, 1.0 if real else 0.0))

    owner = {p: (name, key) for name in NETS for key, p in nets[name].named_parameters()}
    history = []
    for _ in range(steps):
        # --- exactly Pix2PixModel.optimize_parameters (pool_size 0: the pool returns its input) ---
        fake_B = G(real_A)
        for p in D.parameters():
            p.requires_grad_(True)
        opt_D.zero_grad()
        fake_AB = torch.cat((real_A, fake_B), 1)
        loss_D_fake = gan(D(fake_AB.detach()), False)
        loss_D_real = gan(D(torch.cat((real_A, real_B), 1)), True)
        loss_D = (loss_D_fake + loss_D_real) * 0.5
        loss_D.backward()
        opt_D.step()
        for p in D.parameters():
            p.requires_grad_(False)
        opt_G.zero_grad()
        loss_G_GAN = gan(D(fake_AB), True)
        loss_G_L1 = l1(fake_B, real_B) * LAMBDA_L1
        loss_G = loss_G_GAN + loss_G_L1
        loss_G.backward()
        opt_G.step()
        # --- the record ---
        losses = {"G_GAN": loss_G_GAN.item(), "G_L1": loss_G_L1.item(), "D_real": loss_D_real.item(),
                  "D_fake": loss_D_fake.item(), "G": loss_G.item(), "D": loss_D.item()}
        adam = {}
        for opt in (opt_G, opt_D):
            for p, s in opt.state.items():
                name, key = owner[p]
                for m in ("exp_avg", "exp_avg_sq"):
                    adam[f"{name}.{key}.{m}"] = s[m].detach().clone()
        history.append((losses, state(nets), adam))
    return history


def is_buffer(key):
    return key.endswith(("running_mean", "running_var", "num_batches_tracked"))


def float64_deviation(nets, real_A, real_B, history):
    """How far float32 rounding moves the run: the same steps in float64 from the same start, compared."""
    wide = {n: copy.deepcopy(net).double() for n, net in nets.items()}
    history64 = train(wide, real_A.double(), real_B.double(), len(history))
    out = {"losses": [], "parameters": [], "buffers": [], "exp_avg": []}
    for (l32, s32, a32), (l64, s64, a64) in zip(history, history64):
        out["losses"].append(max(abs(l32[k] - l64[k]) for k in l32))
        diff = {k: float((s32[k].double() - s64[k].double()).abs().max()) for k in s32}
        out["parameters"].append(max(d for k, d in diff.items() if not is_buffer(k)))
        out["buffers"].append(max(d for k, d in diff.items() if is_buffer(k)))
        rel = [float(((a32[k].double() - a64[k]).abs() / a64[k].abs().max()).max())
               for k in a32 if k.endswith(".exp_avg")]
        out["exp_avg"].append(max(rel))
    return out


def write(path, initial, real_A, real_B, history, deviation):
    import h5py
    import numpy as np
    os.makedirs(os.path.dirname(path), exist_ok=True)
    options = {"size": SIZE, "batch_size": BATCH, "ngf": NGF, "ndf": NDF, "num_downs": DOWNS,
               "n_layers_D": D_LAYERS, "norm": "batch", "use_dropout": True, "gan_mode": "vanilla",
               "lambda_L1": LAMBDA_L1, "lr": LR, "beta1": BETA1, "beta2": BETA2, "eps": 1e-8, "pool_size": 0,
               "init_type": "normal", "init_gain": 0.02, "seed": SEED}

    def f32(t):
        return t.numpy().astype(np.float32)

    with h5py.File(path, "w", track_order=True) as f:
        f.attrs["fixture_description"] = (
            f"{STEPS} pix2pix steps (Pix2PixModel.optimize_parameters) from fixed weights and inputs; "
            f"torch {torch.__version__} CPU float32, 1 thread")
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["options"] = json.dumps(options)
        f.attrs["architectures"] = json.dumps(architectures())
        f.attrs["steps"] = STEPS
        f.attrs["snapshot_steps"] = np.array(SNAPSHOT_STEPS, dtype=np.int64)
        for what, values in deviation.items():
            name = "float64_max_abs_difference_" + what if what != "exp_avg" else \
                "float64_max_relative_difference_exp_avg"
            f.attrs[name] = np.array(values, dtype=np.float64)
        g = f.create_group("initial", track_order=True)
        for name in NETS:
            gn = g.create_group(name, track_order=True)
            for key, value in initial[name].items():
                gn.create_dataset(key, data=f32(value))
        g = f.create_group("inputs", track_order=True)
        g.create_dataset("real_A", data=f32(real_A))
        g.create_dataset("real_B", data=f32(real_B))
        g = f.create_group("losses", track_order=True)
        for name in LOSS_NAMES:
            g.create_dataset(name, data=np.array([h[0][name] for h in history], dtype=np.float32))
        for k, (_, snapshot, adam) in enumerate(history, start=1):
            if k not in SNAPSHOT_STEPS:
                continue
            g = f.create_group(f"step_{k}", track_order=True)
            for name in NETS:
                gn = g.create_group(name, track_order=True)
                for key in initial[name]:
                    gn.create_dataset(key, data=f32(snapshot[f"{name}.{key}"]))
            go = g.create_group("optimizer", track_order=True)
            for key in ADAM_KEYS:
                for m in ("exp_avg", "exp_avg_sq"):
                    go.create_dataset(f"{key}.{m}", data=f32(adam[f"{key}.{m}"]))
            if k == 1:
                for key in (f"{n}.{p}" for n in NETS for p, _ in initial_parameters(initial, n)):
                    if key not in ADAM_KEYS:
                        go.create_dataset(f"{key}.exp_avg", data=f32(adam[f"{key}.exp_avg"]))


def initial_parameters(initial, net):
    """(key, tensor) of the parameters (not buffers) of `net` in state_dict order."""
    return [(k, v) for k, v in initial[net].items() if not is_buffer(k)]


def run():
    torch.set_num_threads(1)
    nets, real_A, real_B = build()
    initial = {n: {k: v.detach().clone() for k, v in net.state_dict().items()} for n, net in nets.items()}
    start = {n: copy.deepcopy(net) for n, net in nets.items()}
    history = train(nets, real_A, real_B, STEPS)
    deviation = float64_deviation(start, real_A, real_B, history)
    return start, initial, real_A, real_B, history, deviation


def check(path):
    """Reruns the steps from the committed file's initial state and inputs and compares with it."""
    import h5py
    import numpy as np
    torch.set_num_threads(1)
    nets, _, _ = build()
    with h5py.File(path, "r") as f:
        for n in NETS:
            loaded = {}
            for k, v in f["initial"][n].items():
                t = torch.from_numpy(np.array(v))
                loaded[k] = t.long() if k.endswith("num_batches_tracked") else t
            nets[n].load_state_dict(loaded)
        real_A, real_B = (torch.from_numpy(np.array(f["inputs"][x])) for x in ("real_A", "real_B"))
        history = train(nets, real_A, real_B, int(f.attrs["steps"]))
        worst = 0.0
        for k, (losses, snapshot, _) in enumerate(history, start=1):
            dl = max(abs(losses[n] - float(f["losses"][n][k - 1])) for n in LOSS_NAMES)
            dp = max((float(np.abs(snapshot[f"{n}.{key}"].double().numpy() - np.array(v)).max())
                      for n in NETS for key, v in f[f"step_{k}"][n].items()) if f"step_{k}" in f else (0.0,))
            worst = max(worst, dl, dp)
            print(f"step {k}: max |torch − fixture| losses {dl:.2e}, state {dp:.2e}")
    return 0 if worst <= 1e-6 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT, help="output file (default Tests/Fixtures/pix2pix-step/pix2pix_step.h5)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: rerun the steps from the committed file and compare with it")
    args = parser.parse_args()
    if args.check:
        sys.exit(check(args.out))
    start, initial, real_A, real_B, history, deviation = run()
    write(args.out, initial, real_A, real_B, history, deviation)
    n_params = {n: sum(p.numel() for p in start[n].parameters()) for n in NETS}
    print(f"{os.path.relpath(args.out, ROOT)}: {STEPS} steps, parameters {n_params}, "
          f"{os.path.getsize(args.out) / 1024:.0f} KiB")
    for k, (losses, _, _) in enumerate(history, start=1):
        print(f"  step {k}: " + ", ".join(f"{n} {losses[n]:.6f}" for n in LOSS_NAMES))
    for what, values in deviation.items():
        print(f"  float64 vs float32, {what}: " + ", ".join(f"{v:.2e}" for v in values))


if __name__ == "__main__":
    main()
