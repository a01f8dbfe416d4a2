#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/checkpoint/: MedSynth checkpoints written by scripts/convert_pth_checkpoint.py from
PyTorch .pth files, weights *and* Adam state, so the Swift tests (Tests/MedNNTests/CheckpointTests.swift) can
check that MedNN reads what the converter writes and continues training exactly where PyTorch stopped.

Run from the repository root:  python3 scripts/make_checkpoint_fixtures.py
Needs torch and h5py (CI does not: the outputs are committed, < 1 MB in all). Deterministic on CPU.

For each fixture, starting from the weights of a network fixture (Tests/Fixtures/networks/<name>.h5, written by
scripts/make_torch_network_fixtures.py):
  1. two Adam steps (lr 2e-4, betas (0.5, 0.999), as the reference GAN trainers) in training mode on random
     batches of 2, loss mean((net(x) − 1)²) (LSGAN's real-label loss); batch norm updates its running statistics;
  2. torch.save(net.state_dict()) and torch.save(adam.state_dict()) to temporary .pth files;
  3. the command that makes the fixture (printed as it runs):
       python3 scripts/convert_pth_checkpoint.py to-h5 NET.pth OUT.h5 --architecture JSON \\
           --hyperparameters JSON --optimizer ADAM.pth
  4. appended to OUT.h5 (the checkpoint reader ignores other groups):
       /fixture/input                  float32 [1, C, H, W], uniform in [-1, 1)
       /fixture/expected_output        the saved network's output on input, eval mode
       /fixture/after_step/<key>       every parameter after one more Adam step, continuing from the saved state,
                                       with the injected gradient step_gradient(index, shape) below
     and the root attribute fixture_description.

The extra step uses a fixed, injected gradient rather than one computed through the network: it checks what
the checkpoint carries (Adam's moments, the step count behind the bias corrections, the learning rate), and
nothing else. Through a real loss, GAN networks are badly conditioned for such a comparison: biases whose
gradient is zero in exact arithmetic (before instance norm, or before batch norm on always-active channels)
receive rounding noise, which Adam scales up to steps of ±lr; PyTorch itself then disagrees with itself by
2e-4 between 1 and 2 threads on the pixel discriminator.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(SCRIPTS, "..")
NETWORKS = os.path.join(ROOT, "Tests", "Fixtures", "networks")
OUT = os.path.relpath(os.path.join(ROOT, "Tests", "Fixtures", "checkpoint"))

# name of the output, source network fixture, seed
FIXTURES = [
    ("pixel_batch_ndf8_adam", "pixel_batch_ndf8", 11),
    ("nlayer3_instance_ndf8_adam", "nlayer3_instance_ndf8", 12),
]
LEARNING_RATE, BETAS = 2e-4, (0.5, 0.999)


def step_gradient(index, shape):
    """The injected gradient of parameter `index` (named_parameters order): 1e-3 · sin(0.37 · i + index) at flat
    index i, computed in float64 with the C library's sin and rounded to float32 (MedNN's test computes the same)."""
    n = int(np.prod(shape)) if len(shape) else 1
    values = [1e-3 * math.sin(0.37 * i + index) for i in range(n)]
    return torch.tensor(values, dtype=torch.float64).to(torch.float32).reshape(shape)


def train_step(net, adam, x):
    net.train()
    adam.zero_grad()
    loss = (net(x) - 1).square().mean()
    loss.backward()
    adam.step()


def eval_output(net, x):
    net.eval()
    with torch.no_grad():
        return net(x).clone()


def make(name, source, seed, out_folder):
    sys.path.insert(0, SCRIPTS)
    import make_torch_network_fixtures as nets
    from convert_pth_checkpoint import read_checkpoint

    state, attrs, _ = read_checkpoint(os.path.join(NETWORKS, f"{source}.h5"))
    arch = json.loads(attrs["architecture"])
    torch.manual_seed(seed)
    net = nets.build_network(arch)
    net.load_state_dict(state)
    adam = torch.optim.Adam(net.parameters(), LEARNING_RATE, betas=BETAS)
    with h5py.File(os.path.join(NETWORKS, f"{source}.h5"), "r") as f:
        shape = list(f["fixture/input"].shape)
    for _ in range(2):
        train_step(net, adam, torch.rand(2, *shape[1:]) * 2 - 1)
    x = torch.rand(*shape) * 2 - 1
    expected = eval_output(net, x)

    out = os.path.join(out_folder, f"{name}.h5")
    with tempfile.TemporaryDirectory() as tmp:
        pth, adam_pth = os.path.join(tmp, f"{name}.pth"), os.path.join(tmp, f"{name}_adam.pth")
        torch.save(net.state_dict(), pth)
        torch.save(adam.state_dict(), adam_pth)
        hyper = {"lr": LEARNING_RATE, "beta1": BETAS[0], "loss": "mean((net(x) - 1)^2)", "fixture_seed": seed}
        command = [sys.executable, os.path.relpath(os.path.join(SCRIPTS, "convert_pth_checkpoint.py")), "to-h5", pth, out,
                   "--architecture", json.dumps(arch), "--hyperparameters", json.dumps(hyper), "--optimizer", adam_pth]
        print("+", " ".join(command[1:]))
        subprocess.run(command, check=True)

    adam.zero_grad()
    for index, p in enumerate(net.parameters()):
        p.grad = step_gradient(index, tuple(p.shape))
    before = {k: p.detach().clone() for k, p in net.named_parameters()}
    adam.step()
    with h5py.File(out, "a") as f:
        g = f.create_group("fixture")
        g.create_dataset("input", data=x.numpy().astype(np.float32))
        g.create_dataset("expected_output", data=expected.numpy().astype(np.float32))
        a = g.create_group("after_step")
        for k, p in net.named_parameters():
            a.create_dataset(k, data=p.detach().numpy().astype(np.float32))
        f.attrs["fixture_description"] = (
            f"{source} weights after two Adam steps (lr {LEARNING_RATE}, betas {BETAS}), converted with "
            f"convert_pth_checkpoint.py to-h5 --optimizer; expected output in eval mode; parameters after one more "
            f"Adam step with the injected gradient 1e-3*sin(0.37*i + parameter index); torch {torch.__version__} "
            f"CPU float32")
    moved = max(float((p.detach() - before[k]).abs().max()) for k, p in net.named_parameters())
    print(f"{name}: {os.path.getsize(out) / 1024:.0f} KiB, output std {expected.std():.3f}, "
          f"the injected step moves parameters by up to {moved:.2e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT, help="output folder (default Tests/Fixtures/checkpoint)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name, source, seed in FIXTURES:
        make(name, source, seed, args.out)


if __name__ == "__main__":
    main()
