#!/usr/bin/env python3
"""PyTorch CPU peer timings for MedSynth's CycleGAN and U-Net segmenter: ms per training step, ms per translated
slice (CycleGAN), peak RSS, FLOPs per step.

The step is the standard CycleGAN step of pytorch-CycleGAN-and-pix2pix (as the project's peer anchor defines
it): two ResNet generators (G_A: A→B, G_B: B→A), two 70×70 PatchGANs (D_A judges B, D_B judges A; ndf = ngf),
instance norm, batch 1, 1-channel images; generator loss LSGAN + cycle L1 × 10 + identity L1 × 10 × 0.5, one
Adam step for both generators (discriminators frozen); then each discriminator 0.5 × (LSGAN(real, 1) +
LSGAN(fake.detach(), 0)) and one Adam step for both; Adam lr 2e-4, β (0.5, 0.999). No image pool (it does not
change the work). Networks are those of scripts/make_torch_network_fixtures.py (same state_dict keys as the
reference), initialised normal(0, 0.02) like the reference.

`--gan-mode wgangp` times the WGAN-GP variant instead: the generators' GAN terms are −mean D(fake); each
discriminator minimises 0.5 × (−mean D(real) + mean D(fake.detach())) + the reference cal_gradient_penalty
(type mixed, λ 10: D evaluated on α·real + (1 − α)·fake, its input gradient taken with create_graph=True, and
λ·(‖g + 1e-16‖₂ − 1)² back-propagated into D) — the step MedSynth's CycleGANTrainer takes with ganMode wgangp.

`seg2d` and `seg3d` time the segmenter step of MedSynth's SegmentationTrainer instead: the project's UNetSegmenter
(Sources/MedNN/Networks/UNetSegmenter.swift), rebuilt layer for layer — per level two 3×3(×3) convolutions
(padding 1, no bias) each followed by non-affine instance norm (eps 1e-5) and ReLU; 2×2(×2) max pooling between
encoder levels; a bottleneck level; upsampling by a 2×2(×2) stride-2 transposed convolution (with bias),
concatenation [skip, upsampled] and two convolutions again; a 1×1 convolution (with bias) to 2 class logits;
Kaiming-normal weights, zero biases. The loss is the segmentation run's: soft Dice on softmax probabilities
without the background class (per sample and class, smooth 1e-5) + cross-entropy (weights 1, 1); Adam lr 1e-3,
β (0.9, 0.999). seg2d: 2-D, depth 3, base width 16, batch 8 of 1×64×64 (the validation experiment's segmenter);
seg3d: 3-D, depth 3, width 8, batch 2 of 1×64×64×64. Inputs: uniform images in [−1, 1], labels foreground with
probability 1/4. `seg2d:size:width:depth:batch` (or seg3d:…) gives another size. `parameters` counts every
trained parameter (CycleGAN: both generators and both discriminators), as MedSynth's JSON does.

Each configuration runs in its own subprocess so that peak RSS (getrusage ru_maxrss) is per configuration.
Timings: `--warmup` untimed steps, then the median (and mean, min) of `--steps` individually timed steps;
translate = G_A forward under torch.no_grad, median of 4 × steps calls. The first (untimed) step runs under
torch.utils.flop_counter.FlopCounterMode: `gflop_per_step` is its forward + backward FLOPs (a multiply-add
counts 2; matrix products and convolutions only), `gflop_per_slice` those of one translation (CycleGAN). Conv
work is also counted with hooks (CycleGAN only, `conv_gflop_*`): 2·MACs for each convolution forward, plus the
same again for each gradient it needs (input, weight).

Usage:
  python3 benchmarks/torch_reference.py                         # all three configs, JSON on stdout
  python3 benchmarks/torch_reference.py --configs 64 --steps 10 --json Outputs/torch_reference.json
  python3 benchmarks/torch_reference.py --configs 64:32:6,256:64:9 --threads 2
  python3 benchmarks/torch_reference.py --configs 64,128 --gan-mode wgangp
  python3 benchmarks/torch_reference.py --configs seg2d,seg3d
Configs are `size:ngf:blocks`, just the size of one of the standard ones (64, 128, 256), seg2d, seg3d, or
`seg2d|seg3d:size:width:depth:batch`.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

HERE = os.path.dirname(os.path.abspath(__file__))
STANDARD = {64: (64, 32, 6), 128: (128, 64, 6), 256: (256, 64, 9)}
DEFAULT_STEPS = {64: 10, 128: 5, 256: 3}
LAMBDA_CYCLE, LAMBDA_IDENTITY, LR, BETA1 = 10.0, 0.5, 2e-4, 0.5
# Segmenters: (spatial rank, size, base width, depth, batch) and default timed steps.
SEGMENTERS = {"seg2d": (2, 64, 16, 3, 8), "seg3d": (3, 64, 8, 3, 2)}
SEG_DEFAULT_STEPS = {"seg2d": 10, "seg3d": 3}
SEG_LR, SEG_CLASSES, SEG_SMOOTH, SEG_FOREGROUND = 1e-3, 2, 1e-5, 0.25
ACCEPTED = ("size:ngf:blocks, one of 64, 128, 256, seg2d, seg3d, or seg2d|seg3d:size:width:depth:batch "
            "(size a multiple of 2^depth)")


def parse_config(part):
    """A config's canonical name and its settings: ("cyclegan", size, ngf, blocks) or
    (kind, rank, size, width, depth, batch). Raises ValueError for anything else."""
    part = part.strip()
    fields = part.split(":")
    kind = fields[0].lower()
    if kind in SEGMENTERS:
        rank = SEGMENTERS[kind][0]
        if len(fields) == 1:
            return kind, (kind,) + SEGMENTERS[kind]
        if len(fields) != 5:
            raise ValueError(part)
        size, width, depth, batch = (int(v) for v in fields[1:])
        if width < 1 or not 0 <= depth <= 7 or batch < 1 or size < 1 or size % (1 << depth):
            raise ValueError(part)
        if (rank, size, width, depth, batch) == SEGMENTERS[kind]:
            return kind, (kind,) + SEGMENTERS[kind]
        return f"{kind}:{size}:{width}:{depth}:{batch}", (kind, rank, size, width, depth, batch)
    if len(fields) == 3:
        size, ngf, blocks = (int(v) for v in fields)
        if size < 8 or size % 4 or ngf < 1 or blocks < 0:
            raise ValueError(part)
    elif len(fields) == 1 and int(part) in STANDARD:
        size, ngf, blocks = STANDARD[int(part)]
    else:
        raise ValueError(part)
    return f"{size}:{ngf}:{blocks}", ("cyclegan", size, ngf, blocks)


def parse_configs(text):
    out = []
    for part in text.split(","):
        try:
            out.append(parse_config(part))
        except ValueError:
            raise SystemExit(f"--configs: {part.strip()!r} is not a configuration; expected {ACCEPTED}")
    return out


def default_steps(settings):
    if settings[0] == "cyclegan":
        return DEFAULT_STEPS.get(settings[1], 3)
    return SEG_DEFAULT_STEPS[settings[0]]


class ConvCounter:
    """Counts convolution FLOPs (2·MAC) of forward passes and of the gradients autograd will compute."""

    def __init__(self, modules):
        self.forward = self.total = 0.0
        self.enabled = False
        self.handles = [m.register_forward_hook(self.hook) for m in modules
                        if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]

    def hook(self, m, inputs, output):
        if not self.enabled:
            return
        x = inputs[0]
        k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels * m.out_channels / m.groups
        spatial = (x.shape[2] * x.shape[3]) if isinstance(m, torch.nn.ConvTranspose2d) else \
            (output.shape[2] * output.shape[3])
        flops = 2.0 * k * spatial * x.shape[0]
        grads = int(x.requires_grad) + int(m.weight.requires_grad) if torch.is_grad_enabled() else 0
        self.forward += flops
        self.total += flops * (1 + grads)


def gradient_penalty(D, real, fake, lambda_gp=10.0):
    """The reference cal_gradient_penalty (type 'mixed', constant 1)."""
    alpha = torch.rand(real.shape[0], 1, 1, 1)
    interpolated = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = D(interpolated)
    grad = torch.autograd.grad(outputs=out, inputs=interpolated, grad_outputs=torch.ones_like(out),
                               create_graph=True, retain_graph=True, only_inputs=True)[0]
    return (((grad.view(real.shape[0], -1) + 1e-16).norm(2, dim=1) - 1) ** 2).mean() * lambda_gp


def timed_steps(step, steps, warmup):
    """Runs `step` `warmup` times untimed, then `steps` times timed; the milliseconds of each timed run."""
    for _ in range(max(warmup, 0)):
        step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return times


def count_flops(fn):
    """The FLOPs of one call of fn (FlopCounterMode: matrix products and convolutions, a multiply-add = 2)."""
    mode = FlopCounterMode(display=False)
    with mode:
        fn()
    return mode.get_total_flops()


class UNetSegmenter(torch.nn.Module):
    """MedSynth's UNetSegmenter (Sources/MedNN/Networks/UNetSegmenter.swift), layer for layer, instance norm."""

    def __init__(self, rank, in_channels, classes, depth, width):
        super().__init__()
        conv = torch.nn.Conv2d if rank == 2 else torch.nn.Conv3d
        norm = torch.nn.InstanceNorm2d if rank == 2 else torch.nn.InstanceNorm3d
        up = torch.nn.ConvTranspose2d if rank == 2 else torch.nn.ConvTranspose3d
        pool = torch.nn.MaxPool2d if rank == 2 else torch.nn.MaxPool3d

        def w(level):
            return width << level

        def double_conv(cin, cout):
            # norm: non-affine, eps 1e-5 (the project's InstanceNorm default); convolutions without bias.
            return torch.nn.Sequential(conv(cin, cout, 3, padding=1, bias=False), norm(cout), torch.nn.ReLU(),
                                       conv(cout, cout, 3, padding=1, bias=False), norm(cout), torch.nn.ReLU())

        self.encoders = torch.nn.ModuleList(double_conv(in_channels if i == 0 else w(i - 1), w(i))
                                            for i in range(depth))
        self.bottleneck = double_conv(in_channels if depth == 0 else w(depth - 1), w(depth))
        self.upsamplers = torch.nn.ModuleList(up(w(i + 1), w(i), 2, stride=2) for i in range(depth))
        self.decoders = torch.nn.ModuleList(double_conv(2 * w(i), w(i)) for i in range(depth))
        self.head = conv(w(0), classes, 1)
        self.pool = pool(2)
        self.depth = depth
        for m in self.modules():  # WeightInitialization.kaiming: Kaiming normal (fan in), zero biases
            if isinstance(m, (conv, up)):
                torch.nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        skips = []
        for encoder in self.encoders:
            x = encoder(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)
        for level in reversed(range(self.depth)):
            x = self.upsamplers[level](x)
            x = self.decoders[level](torch.cat([skips[level], x], dim=1))
        return self.head(x)


def segmentation_loss(logits, labels):
    """The SegmentationTrainer objective: softDiceLoss(includeBackground: false) + crossEntropyLoss, weights 1,
    composed as the project composes them (Sources/MedNN/Losses/DiceLoss.swift, CrossEntropy.swift)."""
    onehot = torch.nn.functional.one_hot(labels, logits.shape[1]).movedim(-1, 1).to(logits.dtype)
    p, t = logits.softmax(dim=1)[:, 1:], onehot[:, 1:]
    axes = tuple(range(2, logits.dim()))
    intersection = (p * t).sum(dim=axes)
    denominator = p.sum(dim=axes) + t.sum(dim=axes)
    dice = 1 - ((2 * intersection + SEG_SMOOTH) / (denominator + SEG_SMOOTH)).mean()
    ce = -(onehot * logits.log_softmax(dim=1)).sum() / onehot.sum()
    return dice + ce, dice, ce


def run_segmenter(name, kind, rank, size, width, depth, batch, steps, warmup, threads, seed):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    net = UNetSegmenter(rank, 1, SEG_CLASSES, depth, width)
    opt = torch.optim.Adam(net.parameters(), SEG_LR, betas=(0.9, 0.999))
    spatial = (size,) * rank
    images = torch.rand(batch, 1, *spatial) * 2 - 1
    labels = (torch.rand(batch, *spatial) < SEG_FOREGROUND).long()
    losses = {}

    def step():
        net.train()
        opt.zero_grad()
        loss, dice, ce = segmentation_loss(net(images), labels)
        loss.backward()
        opt.step()
        losses.update(loss=loss.item(), dice=dice.item(), ce=ce.item())

    flops = count_flops(step)
    times = timed_steps(step, steps, warmup - 1)
    train_median = statistics.median(times)
    return {
        "config": name, "kind": kind, "size": size, "spatial_rank": rank, "batch": batch, "base_width": width,
        "depth": depth, "steps_timed": steps, "warmup_steps": warmup,
        "train_ms_median": round(train_median, 2), "train_ms_mean": round(statistics.mean(times), 2),
        "train_ms_min": round(min(times), 2), "train_ms_all": [round(t, 1) for t in times],
        "gflop_per_step": round(flops / 1e9, 3),
        "effective_gflops": round(flops / 1e9 / (train_median / 1000), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "parameters": sum(p.numel() for p in net.parameters()),
        "last_losses": {k: round(v, 5) for k, v in losses.items()},
    }


def run_one(size, ngf, blocks, steps, warmup, threads, seed, gan_mode="lsgan"):
    torch.set_num_threads(threads)
    sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
    from make_torch_network_fixtures import ResnetGenerator, NLayerDiscriminator, init_weights

    torch.manual_seed(seed)
    G_A, G_B = (ResnetGenerator(1, 1, ngf, norm="instance", n_blocks=blocks) for _ in range(2))
    D_A, D_B = (NLayerDiscriminator(1, ngf, n_layers=3, norm="instance") for _ in range(2))
    for net in (G_A, G_B, D_A, D_B):
        init_weights(net)
    d_params = list(D_A.parameters()) + list(D_B.parameters())
    opt_G = torch.optim.Adam(list(G_A.parameters()) + list(G_B.parameters()), LR, betas=(BETA1, 0.999))
    opt_D = torch.optim.Adam(d_params, LR, betas=(BETA1, 0.999))
    mse, l1 = torch.nn.MSELoss(), torch.nn.L1Loss()
    real_A, real_B = torch.rand(1, 1, size, size) * 2 - 1, torch.rand(1, 1, size, size) * 2 - 1
    counter = ConvCounter([m for net in (G_A, G_B, D_A, D_B) for m in net.modules()])

    wgan = gan_mode == "wgangp"

    def gan(pred, real):
        if wgan:
            return -pred.mean() if real else pred.mean()
        return mse(pred, torch.ones_like(pred) if real else torch.zeros_like(pred))

    def step():
        fake_B = G_A(real_A); rec_A = G_B(fake_B)
        fake_A = G_B(real_B); rec_B = G_A(fake_A)
        for p in d_params:
            p.requires_grad_(False)
        opt_G.zero_grad()
        pred_a, pred_b = D_A(fake_B), D_B(fake_A)
        loss_G = (gan(pred_a, True) + gan(pred_b, True)
                  + LAMBDA_CYCLE * l1(rec_A, real_A) + LAMBDA_CYCLE * l1(rec_B, real_B)
                  + LAMBDA_CYCLE * LAMBDA_IDENTITY * l1(G_A(real_B), real_B)
                  + LAMBDA_CYCLE * LAMBDA_IDENTITY * l1(G_B(real_A), real_A))
        loss_G.backward()
        opt_G.step()
        for p in d_params:
            p.requires_grad_(True)
        opt_D.zero_grad()
        for D, real, fake in ((D_A, real_B, fake_B), (D_B, real_A, fake_A)):
            pred_real, pred_fake = D(real), D(fake.detach())
            loss_D = 0.5 * (gan(pred_real, True) + gan(pred_fake, False))
            if wgan:
                loss_D = loss_D + gradient_penalty(D, real, fake.detach())
            loss_D.backward()
        opt_D.step()

    counter.enabled = True
    step_flops = count_flops(step)
    counter.enabled = False
    times = timed_steps(step, steps, warmup - 1)
    x = torch.rand(1, 1, size, size) * 2 - 1
    with torch.no_grad():
        slice_flops = count_flops(lambda: G_A(x))
        translate = []
        for _ in range(4 * steps):
            t = time.perf_counter()
            G_A(x)
            translate.append((time.perf_counter() - t) * 1000)
    train_median = statistics.median(times)
    return {
        "config": f"{size}:{ngf}:{blocks}", "kind": "cyclegan", "size": size, "ngf": ngf, "n_blocks": blocks, "gan_mode": gan_mode, "steps_timed": steps, "warmup_steps": warmup,
        "train_ms_median": round(train_median, 2), "train_ms_mean": round(statistics.mean(times), 2),
        "train_ms_min": round(min(times), 2), "train_ms_all": [round(t, 1) for t in times],
        "translate_ms_median": round(statistics.median(translate), 3),
        "translate_ms_min": round(min(translate), 3),
        "conv_gflop_per_step": round(counter.total / 1e9, 2),
        "conv_gflop_forward_per_step": round(counter.forward / 1e9, 2),
        "effective_conv_gflops": round(counter.total / 1e9 / (train_median / 1000), 1),
        "gflop_per_step": round(step_flops / 1e9, 3), "gflop_per_slice": round(slice_flops / 1e9, 3),
        "effective_gflops": round(step_flops / 1e9 / (train_median / 1000), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "parameters": sum(p.numel() for net in (G_A, G_B, D_A, D_B) for p in net.parameters()),
        "parameters_G": sum(p.numel() for p in G_A.parameters()),
        "parameters_D": sum(p.numel() for p in D_A.parameters()),
    }


def machine(threads):
    info = {"python": platform.python_version(), "torch": torch.__version__, "threads": threads,
            "cpu_count": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return info


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--configs", default="64,128,256,seg2d,seg3d",
                   help="comma-separated size:ngf:blocks, 64/128/256, seg2d/seg3d or seg2d|seg3d:size:width:depth:batch")
    p.add_argument("--steps", type=int, help="timed steps per config (default 10 / 5 / 3 by size; seg2d 10, seg3d 3)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2, the project's rule)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the JSON result to this file")
    p.add_argument("--gan-mode", choices=["lsgan", "wgangp"], default="lsgan",
                   help="the adversarial loss (wgangp: with the gradient penalty on both discriminators)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.steps is not None and args.steps < 1:
        p.error(f"--steps must be at least 1, got {args.steps}")
    if args.child:
        name, settings = parse_config(args.child)
        if settings[0] == "cyclegan":
            _, size, ngf, blocks = settings
            result = run_one(size, ngf, blocks, args.steps, args.warmup, args.threads, args.seed, args.gan_mode)
        else:
            result = run_segmenter(name, *settings, args.steps, args.warmup, args.threads, args.seed)
        print(json.dumps(result))
        return
    results = []
    for name, settings in parse_configs(args.configs):
        steps = args.steps or default_steps(settings)
        load_before = os.getloadavg()
        cmd = [sys.executable, os.path.abspath(__file__), "--child", name, "--steps",
               str(steps), "--warmup", str(args.warmup), "--threads", str(args.threads), "--seed", str(args.seed),
               "--gan-mode", args.gan_mode]
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"config {name} failed:\n{proc.stderr}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["wall_s"] = round(time.perf_counter() - t, 1)
        r["loadavg_1min_before_after"] = [round(load_before[0], 2), round(os.getloadavg()[0], 2)]
        results.append(r)
        translate = f", translate {r['translate_ms_median']:.2f} ms/slice" if "translate_ms_median" in r else ""
        print(f"# {name}: train {r['train_ms_median']:.1f} ms/step (median of {steps}){translate}, "
              f"{r['gflop_per_step']} GFLOP/step, {r['parameters']} parameters, peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"load {r['loadavg_1min_before_after']}", file=sys.stderr)
    out = {"benchmark": "cyclegan_step_pytorch_cpu", "machine": machine(args.threads), "results": results}
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
