#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/networks/: small reference networks of pytorch-CycleGAN-and-pix2pix with their
weights, one input and the PyTorch output, so the Swift networks (MedNN) can be checked against PyTorch.

Run from the repository root:  python3 scripts/make_torch_network_fixtures.py
                     or, to check the committed files against this torch:  ... --check
Needs torch and h5py (CI does not: the outputs are committed). Deterministic on CPU for a given torch version.

The architectures below are re-written from the public `models/networks.py` of
junyanz/pytorch-CycleGAN-and-pix2pix (current master): the same module tree, the same `nn.Sequential` indices
and therefore the same `state_dict` keys (`model.1.weight`, `model.10.conv_block.5.bias`,
`model.model.1.model.3.model.1.weight`, …), so a checkpoint trained with that code converts to MedSynth's
format by name (scripts/convert_pth_checkpoint.py) and MedSynth's reflected parameter names can be compared
with keys.txt. Norm layers follow its `get_norm_layer`:
  batch    -> BatchNorm2d(affine=True, track_running_stats=True)   conv bias off
  instance -> InstanceNorm2d(affine=False, track_running_stats=False) conv bias on (no parameters, no buffers)
  none     -> Identity                                               conv bias off (upstream's `use_bias` rule)
The outermost convolutions (first conv of the discriminators, last conv of the generators) always have a bias.

Each fixture `<name>.h5` is a MedSynth checkpoint (docs/CHECKPOINT_FORMAT.md) plus:
  /fixture/input            float32 [1, C, H, W], uniform in [-1, 1)
  /fixture/expected_output  float32, the network's output in eval mode (float32 CPU PyTorch)
  root attributes `fixture_description` and `float64_max_abs_difference` (the same network evaluated in
  float64 differs from expected_output by at most this: float32 rounding, a floor for any tolerance)
`<name>.keys.txt` lists `key shape` per line in state_dict order (`model.1.weight 8x1x7x7`, `… scalar` for
0-d tensors such as num_batches_tracked).

Weights: the reference `init_weights` (normal(0, gain) for Conv/ConvTranspose weights, BatchNorm weight
normal(1, gain); gain 0.02 except where FIXTURES says otherwise); then, so that every entry of the file influences the output and a wrongly loaded tensor
fails the comparison, biases that the reference initialises to 0 are drawn from normal(0, gain), and the
batch-norm fixtures get running statistics from three training-mode forward passes on random batches of 2
(cumulative average, i.e. momentum None while gathering, so num_batches_tracked is 3) before being switched
to eval mode.
"""
import argparse
import copy
import functools
import json
import os
import sys

import torch
import torch.nn as nn

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(SCRIPTS, "..", "Tests", "Fixtures", "networks")


# --- norm layers, as get_norm_layer in the reference ---------------------------------------------------------
class Identity(nn.Module):
    """Stands in for a norm layer when norm is 'none' (keeps the Sequential indices unchanged)."""

    def forward(self, x):
        return x


def get_norm_layer(norm):
    if norm == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if norm == "none":
        return lambda channels: Identity()
    raise ValueError(f"norm must be 'batch', 'instance' or 'none', got {norm!r}")


def uses_bias(norm):
    """The reference's rule: convolutions followed by a norm layer have a bias only with instance norm."""
    return norm == "instance"


# --- generators ---------------------------------------------------------------------------------------------
class ResnetBlock(nn.Module):
    """x + conv_block(x); conv_block = [pad, conv3, norm, ReLU, (Dropout 0.5), pad, conv3, norm]."""

    def __init__(self, dim, padding_type, norm, use_dropout):
        super().__init__()
        norm_layer, bias = get_norm_layer(norm), uses_bias(norm)
        layers = []
        for second in (False, True):
            p = 0
            if padding_type == "reflect":
                layers.append(nn.ReflectionPad2d(1))
            elif padding_type == "replicate":
                layers.append(nn.ReplicationPad2d(1))
            elif padding_type == "zero":
                p = 1
            else:
                raise ValueError(f"padding_type must be reflect, replicate or zero, got {padding_type!r}")
            layers += [nn.Conv2d(dim, dim, kernel_size=3, padding=p, bias=bias), norm_layer(dim)]
            if not second:
                layers.append(nn.ReLU(True))
                if use_dropout:
                    layers.append(nn.Dropout(0.5))
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """c7s1-ngf, d2ngf, d4ngf, n_blocks × R4ngf, u2ngf, u1ngf, c7s1-output_nc, tanh (Johnson et al.)."""

    def __init__(self, input_nc, output_nc, ngf=64, norm="batch", use_dropout=False, n_blocks=6,
                 padding_type="reflect"):
        assert n_blocks >= 0
        super().__init__()
        norm_layer, bias = get_norm_layer(norm), uses_bias(norm)
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=bias),
                 norm_layer(ngf), nn.ReLU(True)]
        n_downsampling = 2
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=bias),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        mult = 2 ** n_downsampling
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * mult, padding_type, norm, use_dropout)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, kernel_size=3, stride=2, padding=1,
                                         output_padding=1, bias=bias),
                      norm_layer(ngf * mult // 2), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class UnetSkipConnectionBlock(nn.Module):
    """x -> cat([x, up(submodule(down(x)))]) (the outermost block returns up(...) without the skip)."""

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm="batch", use_dropout=False):
        super().__init__()
        self.outermost = outermost
        norm_layer, bias = get_norm_layer(norm), uses_bias(norm)
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=bias)
        downrelu, uprelu = nn.LeakyReLU(0.2, True), nn.ReLU(True)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=bias)
            model = [downrelu, downconv, uprelu, upconv, norm_layer(outer_nc)]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=bias)
            model = [downrelu, downconv, norm_layer(inner_nc), submodule, uprelu, upconv, norm_layer(outer_nc)]
            if use_dropout:
                model.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """U-Net with num_downs stride-2 levels (7: unet_128, 8: unet_256); 2**num_downs px become 1×1."""

    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm="batch", use_dropout=False):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, norm=norm, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True,
                                             norm=norm)

    def forward(self, x):
        return self.model(x)


# --- discriminators -----------------------------------------------------------------------------------------
class NLayerDiscriminator(nn.Module):
    """PatchGAN: C64 (no norm), then n_layers−1 stride-2 C(ndf·min(2^n, 8)), one stride-1 layer, a 1-channel
    stride-1 conv (n_layers 3: the 70×70 PatchGAN). Kernels 4, padding 1, LeakyReLU 0.2."""

    def __init__(self, input_nc, ndf=64, n_layers=3, norm="batch"):
        super().__init__()
        norm_layer, bias = get_norm_layer(norm), uses_bias(norm)
        seq = [nn.Conv2d(input_nc, ndf, kernel_size=4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_prev, nf_mult = nf_mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * nf_prev, ndf * nf_mult, kernel_size=4, stride=2, padding=1, bias=bias),
                    norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        nf_prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * nf_prev, ndf * nf_mult, kernel_size=4, stride=1, padding=1, bias=bias),
                norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True),
                nn.Conv2d(ndf * nf_mult, 1, kernel_size=4, stride=1, padding=1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1×1 PatchGAN (pixelGAN): conv1 ndf, LeakyReLU, conv1 2ndf, norm, LeakyReLU, conv1 1."""

    def __init__(self, input_nc, ndf=64, norm="batch"):
        super().__init__()
        norm_layer, bias = get_norm_layer(norm), uses_bias(norm)
        self.net = nn.Sequential(
            nn.Conv2d(input_nc, ndf, kernel_size=1, stride=1, padding=0), nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, stride=1, padding=0, bias=bias), norm_layer(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, kernel_size=1, stride=1, padding=0, bias=bias))

    def forward(self, x):
        return self.net(x)


ARCHITECTURES = {
    "ResnetGenerator": (ResnetGenerator, dict(input_nc=None, output_nc=None, ngf=64, norm="batch",
                                              use_dropout=False, n_blocks=6, padding_type="reflect")),
    "UnetGenerator": (UnetGenerator, dict(input_nc=None, output_nc=None, num_downs=None, ngf=64, norm="batch",
                                          use_dropout=False)),
    "NLayerDiscriminator": (NLayerDiscriminator, dict(input_nc=None, ndf=64, n_layers=3, norm="batch")),
    "PixelDiscriminator": (PixelDiscriminator, dict(input_nc=None, ndf=64, norm="batch")),
}


def complete_architecture(arch):
    """The architecture dictionary with every constructor argument spelled out (defaults filled in).

    Raises ValueError naming the offending entry for an unknown class, an unknown argument or a missing
    required one."""
    if not isinstance(arch, dict) or "class" not in arch:
        raise ValueError(f"architecture must be a JSON object with a 'class' entry, got {arch!r}")
    name = arch["class"]
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture class {name!r}; known: {', '.join(ARCHITECTURES)}")
    _, defaults = ARCHITECTURES[name]
    unknown = sorted(set(arch) - set(defaults) - {"class"})
    if unknown:
        raise ValueError(f"{name} has no argument(s) {unknown}; arguments: {sorted(defaults)}")
    full = {"class": name}
    for k, v in defaults.items():
        full[k] = arch.get(k, v)
        if full[k] is None:
            raise ValueError(f"{name} needs {k!r} (architecture given: {json.dumps(arch)})")
    return full


def build_network(arch):
    """Constructs the network an architecture dictionary describes (see complete_architecture)."""
    full = complete_architecture(arch)
    cls, _ = ARCHITECTURES[full["class"]]
    return cls(**{k: v for k, v in full.items() if k != "class"})


def init_weights(net, gain=0.02):
    """The reference init_weights(init_type='normal'): conv weights N(0, gain), biases 0, BN weight N(1, gain)."""
    for m in net.modules():
        name = m.__class__.__name__
        if hasattr(m, "weight") and ("Conv" in name or "Linear" in name):
            nn.init.normal_(m.weight.data, 0.0, gain)
            if getattr(m, "bias", None) is not None:
                nn.init.constant_(m.bias.data, 0.0)
        elif "BatchNorm2d" in name:
            nn.init.normal_(m.weight.data, 1.0, gain)
            nn.init.constant_(m.bias.data, 0.0)


# --- fixtures ------------------------------------------------------------------------------------------------
FIXTURES = [
    # name, architecture, input shape, description, init gain
    ("resnet6_instance_ngf8",
     {"class": "ResnetGenerator", "input_nc": 1, "output_nc": 1, "ngf": 8, "norm": "instance", "n_blocks": 6,
      "use_dropout": False, "padding_type": "reflect"}, (1, 1, 32, 32),
     "resnet_6blocks, instance norm (CycleGAN default), ngf 8", 0.02),
    ("unet128_batch_ngf4",
     {"class": "UnetGenerator", "input_nc": 1, "output_nc": 1, "num_downs": 7, "ngf": 4, "norm": "batch",
      "use_dropout": False}, (1, 1, 128, 128),
     "unet_128, batch norm (pix2pix default) in eval mode with running statistics, ngf 4", 0.02),
    ("unet128_instance_ngf4",
     {"class": "UnetGenerator", "input_nc": 1, "output_nc": 1, "num_downs": 7, "ngf": 4, "norm": "instance",
      "use_dropout": False}, (1, 1, 128, 128),
     "unet_128, instance norm, ngf 4", 0.02),
    ("nlayer3_instance_ndf8",
     {"class": "NLayerDiscriminator", "input_nc": 1, "ndf": 8, "n_layers": 3, "norm": "instance"},
     (1, 1, 64, 64), "basic 70x70 PatchGAN (n_layers 3), instance norm, ndf 8", 0.02),
    ("pixel_batch_ndf8",
     {"class": "PixelDiscriminator", "input_nc": 1, "ndf": 8, "norm": "batch"}, (1, 1, 16, 16),
     # gain 0.2 (the reference's --init_gain): with 0.02 the two 1x1 convs before the batch norm give a variance
     # below BatchNorm's eps and an almost constant output that would test little
     "pixel discriminator, batch norm in eval mode with running statistics, ndf 8, init gain 0.2", 0.2),
]


def make_fixture(arch, input_shape, gain, seed):
    torch.manual_seed(seed)
    net = build_network(arch)
    init_weights(net, gain)
    with torch.no_grad():
        for key, p in net.named_parameters():
            if key.endswith(".bias") and bool((p == 0).all()):
                p.normal_(0.0, gain)
    batch_norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    if batch_norms:
        # running statistics as after training: the cumulative average over a few batches (momentum None),
        # so that eval mode really normalises; momentum is not part of the state_dict.
        for m in batch_norms:
            m.momentum = None
            m.reset_running_stats()
        net.train()
        with torch.no_grad():
            for _ in range(3):
                net(torch.rand(2, *input_shape[1:]) * 2 - 1)
        for m in batch_norms:
            m.momentum = 0.1
    net.eval()
    x = torch.rand(*input_shape) * 2 - 1
    with torch.no_grad():
        y = net(x)
        # how far float32 rounding moves the output: a floor for the Swift comparison's tolerance
        wide = copy.deepcopy(net).double()
        rounding = float((wide(x.double()) - y.double()).abs().max())
    return net, x, y, rounding


def check(folder, read_checkpoint):
    """Reloads every fixture through the checkpoint reader and compares PyTorch's output with the stored one."""
    import h5py
    worst = 0.0
    for name, *_ in FIXTURES:
        path = os.path.join(folder, f"{name}.h5")
        state, attrs, _ = read_checkpoint(path)
        net = build_network(json.loads(attrs["architecture"]))
        net.load_state_dict(state)
        net.eval()
        with h5py.File(path, "r") as f:
            x = torch.from_numpy(f["fixture/input"][()])
            expected = torch.from_numpy(f["fixture/expected_output"][()])
        with open(os.path.join(folder, f"{name}.keys.txt")) as f:
            listed = [line.split()[0] for line in f if line.strip()]
        with torch.no_grad():
            diff = float((net(x) - expected).abs().max())
        worst = max(worst, diff)
        print(f"{name}: keys.txt {'matches' if listed == list(state) else 'DIFFERS from'} the checkpoint, "
              f"max |torch - expected_output| = {diff:.2e}")
    return 0 if worst <= 1e-5 else 1


def shape_text(t):
    return "x".join(str(s) for s in t.shape) if t.dim() > 0 else "scalar"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=OUT, help="output folder (default Tests/Fixtures/networks)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing: load each committed fixture, run its network in PyTorch and compare")
    args = parser.parse_args()
    sys.path.insert(0, SCRIPTS)
    from convert_pth_checkpoint import write_checkpoint, read_checkpoint

    import h5py
    import numpy as np
    if args.check:
        sys.exit(check(args.out, read_checkpoint))
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for seed, (name, arch, input_shape, description, gain) in enumerate(FIXTURES, start=1):
        net, x, y, rounding = make_fixture(arch, input_shape, gain, seed)
        path = os.path.join(args.out, f"{name}.h5")
        state = net.state_dict()
        write_checkpoint(path, state, arch, hyperparameters={"init_type": "normal", "init_gain": gain,
                                                             "fixture_seed": seed})
        with h5py.File(path, "a") as f:
            g = f.create_group("fixture")
            g.create_dataset("input", data=x.numpy().astype(np.float32))
            g.create_dataset("expected_output", data=y.numpy().astype(np.float32))
            f.attrs["fixture_description"] = (
                f"{description}; eval mode; input uniform [-1, 1); torch {torch.__version__} CPU float32")
            f.attrs["float64_max_abs_difference"] = rounding
        back, _, _ = read_checkpoint(path)
        assert list(back) == list(state) and all(torch.equal(back[k], state[k]) for k in state)
        with open(os.path.join(args.out, f"{name}.keys.txt"), "w") as f:
            for k, v in state.items():
                f.write(f"{k} {shape_text(v)}\n")
        n_params = sum(p.numel() for p in net.parameters())
        print(f"{name}: {len(state)} keys, {n_params} parameters, input {list(x.shape)} -> output "
              f"{list(y.shape)} (range [{y.min():.3f}, {y.max():.3f}], std {y.std():.3f}; float64 differs by "
              f"{rounding:.1e}), {os.path.getsize(path) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
