#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/gradient-penalty/gradient_penalty.h5: the WGAN-GP gradient penalty of a PatchGAN
and its gradient with respect to every discriminator parameter, in PyTorch, so that MedSynth's second-order
autodiff (MedTensor `gradients(withRespectTo:createGraph:)`) and MedNN's `GradientPenalty` can be checked.

Run from the repository root:  python3 scripts/make_gradient_penalty_fixture.py
                     or, to check the committed file against this torch:  ... --check
Needs torch and h5py (CI does not: the output is committed). Deterministic on CPU for a given torch version.

The penalty is the reference implementation's cal_gradient_penalty(type='mixed', constant=1, lambda_gp=10):
  x̂ = α·real + (1 − α)·fake (α one value per sample), D(x̂) in training mode,
  g = autograd.grad(D(x̂), x̂, grad_outputs=ones, create_graph=True),
  GP = λ·mean_n((‖g[n] + 1e-16‖₂ − 1)²); then GP.backward() gives dGP/dθ for every parameter θ of D.
The discriminator is scripts/make_torch_network_fixtures.py's NLayerDiscriminator (the reference 70×70
PatchGAN layout, n_layers 3, LeakyReLU 0.2) on 2 input channels (a conditional pair), ndf 8, initialised by its
init_weights (normal(0, 0.02)) — once with instance norm (the CycleGAN default) and once with batch norm (pix2pix).

Layout (float32; groups with track_order; no chunking or compression), for norm in {instance, batch}:
  /<norm>/initial/<key>    the state_dict before the penalty (batch norm: also its running statistics)
  /<norm>/real, /fake      [2, 2, 32, 32], uniform in [-1, 1)
  /<norm>/alpha            [2, 1, 1, 1]
  /<norm>/input_gradient   g = ∇_x̂ Σ D(x̂), [2, 2, 32, 32]
  /<norm>/penalty          [1]
  /<norm>/gradients/<key>  dGP/dθ for every parameter θ (named as the state_dict; 0 for the last convolution's
                           bias, which the penalty does not depend on)
  root attributes: fixture_description, torch_version, options (JSON), and per norm
    <norm>_float64_max_relative_difference_gradients (the same computation in float64 differs from the float32
    one by at most this, relative to each tensor's largest |value|: float32 rounding alone), and
    <norm>_gradient_free_keys (JSON list: parameters whose exact gradient is 0 — the biases of convolutions
    followed by instance norm, and the last bias — where float32 leaves only rounding noise)
"""
import argparse
import copy
import json
import os
import sys

import h5py
import numpy as np
import torch

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(SCRIPTS, "..")
OUT = os.path.join(ROOT, "Tests", "Fixtures", "gradient-penalty", "gradient_penalty.h5")
sys.path.insert(0, SCRIPTS)
from make_torch_network_fixtures import NLayerDiscriminator, init_weights  # noqa: E402

SEED = 2026
OPTIONS = dict(input_nc=2, ndf=8, n_layers=3, size=32, batch=2, lambda_gp=10.0, constant=1.0)


def penalty(net, real, fake, alpha):
    """The reference cal_gradient_penalty (type 'mixed'), then backward into net."""
    interpolated = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = net(interpolated)
    grad = torch.autograd.grad(outputs=out, inputs=interpolated, grad_outputs=torch.ones_like(out),
                               create_graph=True, retain_graph=True, only_inputs=True)[0]
    flat = grad.view(real.size(0), -1)
    gp = (((flat + 1e-16).norm(2, dim=1) - OPTIONS["constant"]) ** 2).mean() * OPTIONS["lambda_gp"]
    net.zero_grad()
    gp.backward()
    # A parameter the penalty does not depend on (the last convolution's bias) gets no gradient: 0.
    return gp.detach(), grad.detach(), {k: p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p)
                                        for k, p in net.named_parameters()}


def compute(norm):
    torch.manual_seed(SEED + (0 if norm == "instance" else 1))
    net = NLayerDiscriminator(OPTIONS["input_nc"], ndf=OPTIONS["ndf"], n_layers=OPTIONS["n_layers"], norm=norm)
    init_weights(net)
    net.train()
    shape = (OPTIONS["batch"], OPTIONS["input_nc"], OPTIONS["size"], OPTIONS["size"])
    real = torch.rand(shape) * 2 - 1
    fake = torch.rand(shape) * 2 - 1
    alpha = torch.rand(OPTIONS["batch"], 1, 1, 1)
    initial = {k: v.detach().clone() for k, v in net.state_dict().items()}
    net64 = copy.deepcopy(net).double()
    gp, grad, grads = penalty(net, real, fake, alpha)
    _, _, grads64 = penalty(net64, real.double(), fake.double(), alpha.double())
    largest = max(float(v.abs().max()) for v in grads64.values())
    # Biases of convolutions followed by instance norm (and the last bias) have an exactly-zero gradient: float32
    # leaves rounding noise there, so they are listed apart and compared against the largest gradient.
    free = [k for k in grads if float(grads64[k].abs().max()) <= 1e-9 * largest]
    floor = max(float((grads[k].double() - grads64[k]).abs().max() / grads64[k].abs().max())
                for k in grads if k not in free)
    return dict(initial=initial, real=real, fake=fake, alpha=alpha, input_gradient=grad, penalty=gp.reshape(1),
                gradients=grads, floor=floor, free=free)


def write(path, results):
    tmp = path + ".tmp"
    with h5py.File(tmp, "w", track_order=True) as f:
        f.attrs["fixture_description"] = "WGAN-GP gradient penalty of a PatchGAN and dGP/dθ, from PyTorch"
        f.attrs["torch_version"] = str(torch.__version__)
        f.attrs["options"] = json.dumps(OPTIONS)
        for norm, r in results.items():
            g = f.create_group(norm, track_order=True)
            init = g.create_group("initial", track_order=True)
            for k, v in r["initial"].items():  # num_batches_tracked (int64) as float32, as MedNN keeps it
                init.create_dataset(k, data=v.numpy().astype(np.float32))
            for name in ("real", "fake", "alpha", "input_gradient", "penalty"):
                g.create_dataset(name, data=r[name].numpy().astype(np.float32))
            grads = g.create_group("gradients", track_order=True)
            for k, v in r["gradients"].items():
                grads.create_dataset(k, data=v.numpy().astype(np.float32))
            f.attrs[f"{norm}_float64_max_relative_difference_gradients"] = r["floor"]
            f.attrs[f"{norm}_gradient_free_keys"] = json.dumps(r["free"])
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed fixture instead of writing")
    args = parser.parse_args()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    results = {norm: compute(norm) for norm in ("instance", "batch")}
    if args.check:
        worst = 0.0
        with h5py.File(OUT, "r") as f:
            for norm, r in results.items():
                for k, v in r["gradients"].items():
                    worst = max(worst, float(np.abs(f[f"{norm}/gradients/{k}"][()] - v.numpy()).max()))
                worst = max(worst, float(abs(f[f"{norm}/penalty"][0] - r["penalty"][0])))
        print(f"largest difference to the committed fixture: {worst:.3g}")
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write(OUT, results)
    for norm, r in results.items():
        print(f"{norm}: penalty {float(r['penalty'][0]):.6f}, float64 floor {r['floor']:.3g}")


if __name__ == "__main__":
    main()
