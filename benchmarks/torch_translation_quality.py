#!/usr/bin/env python3
"""PyTorch quality peer for MedSynth's translators (BENCHMARKS.md, issue 6 item 5): trains the same
architecture as a MedSynth run folder, on the same HDF5 slices (read with h5py), for the same number of steps,
and scores it exactly as MedSynth's validation does (`TranslationRun.score`), so the two can be compared.

Usage (from the repository root; the run folder is only read):
  python3 benchmarks/torch_translation_quality.py --run Outputs/pix2pix-ct2t1 [--steps N] [--seed S]
          [--out result.json] [--threads 2] [--validate-every N]
  python3 benchmarks/torch_translation_quality.py --self-test
Needs torch, h5py, numpy, scikit-image, PyYAML. CPU float32.

What it reads from the run folder (written by `medsynth train`):
  config.yaml  the resolved configuration: model (pix2pix | cgan | cyclegan), seed, data.slices.*, network.*,
               training.steps / decayFraction / validateEvery / validationBatchSize
  split.json   (TranslationSplit in Sources/MedTraining/Run/TranslationRun+Baselines.swift) the HDF5 files, the
               modalities, every case's normalisation window, the training slices of each training case, the
               held-out slices with their crops, the output window (physical units of B) and the mask rule
  validation.csv, baselines.json   MedSynth's own scores, copied into the result under "medsynth"

Data. Every training volume is read once (`/cases/<id>/<modality>`) and normalised with its case's window,
  n = clip(2·(v − lower)/(upper − lower) − 1, −1, 1), computed in float64 and stored as float32 (as
  IntensityMapping.normalized). Sampling as SliceDataset: shuffled passes (epochs) over every (training case,
  slice) of `trainingSlices`; each sample a random square crop of side cropSize (0: the whole slice) and, with
  randomFlip, a left–right flip (width axis) with probability ½; paired: the same crop and flip for A and B;
  unpaired (CycleGAN): B from its own shuffled order with its own crop and flip. The random streams are numpy's,
  not MedSynth's SeededGenerator: the same distribution of batches, not the same batches.

Networks and steps: the reference architectures of pytorch-CycleGAN-and-pix2pix as re-written in
  scripts/make_torch_network_fixtures.py (imported; the module tree whose state_dict keys MedSynth's checkpoints
  use), initialised as the reference (conv weights N(0, 0.02), biases 0, batch-norm weights N(1, 0.02)).
  pix2pix  UnetGenerator(1→1, downsamplings, ngf, norm, dropout) and NLayerDiscriminator on concat(A, B);
           one step = Pix2PixModel.optimize_parameters (scripts/make_pix2pix_step_fixture.py): fake_B = G(A);
           D: 0.5·(GAN(D(A, pool(fake_B).detach()), 0) + GAN(D(A, B), 1)), Adam step; G: GAN(D(A, fake_B), 1)
           + λ_L1·L1(fake_B, B) with D frozen, Adam step.
  cgan     the same step with G's input concat(A, z), z ~ N(0, noiseStd²) with noiseChannels channels, drawn
           each step (ConditionalGANTrainer); U-Net or ResNet generator; validation noise from a fixed seed.
  cyclegan ResnetGenerator ×2 (G_A: A→B, G_B: B→A), NLayerDiscriminator ×2 (D_A judges B, D_B judges A);
           one step = CycleGANModel.optimize_parameters (scripts/make_cyclegan_step_fixture.py, plus the
           identity weights λ_B·λ_idt / λ_A·λ_idt and the image pools of CycleGANTrainer): G_A + G_B one Adam
           step on GAN + cycle + identity with D frozen, then D_A + D_B one Adam step on
           0.5·(GAN(D(real), 1) + GAN(D(pool(fake)), 0)). Validation translates with G_A.
  Image pools: the reference ImagePool (fill to capacity; then with probability ½ swap with a random stored
  image), its own Python random stream. GAN losses: vanilla BCE-with-logits, lsgan MSE, wgangp ∓mean.
  Learning rate of step k (0-based): base·factor(k), decaySteps = round(steps·decayFraction),
  constant = steps − decaySteps, factor = 1 for k < constant, else 1 − (k − constant + 1)/(decaySteps + 1)
  (TrainingSchedule.learningRateFactor), set on every optimizer before the step.

Scoring (TranslationRun.score): per held-out slice, in split.json's order, the crop of A (normalised) goes
  through the generator in eval mode under torch.no_grad (batch norm's running statistics, no dropout), batches
  of training.validationBatchSize; the output becomes physical with outputWindowB
  (lower + (clip(n, −1, 1) + 1)·(width/2), float64 rounded to float32); the target is B normalised with its
  case window and mapped back (so clipped to that window), float32. Mask = label > 0 on the crop (no label map:
  the whole slice). Pooled over every masked voxel of every slice (float64 sums): MSE and MAE,
  PSNR = 10·log10(R²/MSE), R = outputWindowB.upper − lower. SSIM per slice with
  skimage.metrics.structural_similarity(target, output, data_range=R, full=True) on float64 copies (MedSynth
  computes in Double; skimage would compute float32 inputs in float32), defaults (7×7 uniform window, sample
  covariance): the mean of the map over S[3:-3, 3:-3] ∩ mask, or, when that intersection is empty or the slice
  has no mask voxel, the plain cropped mean (skimage's return value; counted in unmaskedSlices); averaged over
  slices. The same scorer also scores MedSynth's affine baseline (least squares of B on A, physical units, head
  voxels of the held-out slices, clipped to the output window) and reports it beside baselines.json's: equal
  values check that data, windows, masks and metrics are the ones MedSynth used.

Output: one JSON object on stdout (and in --out): peer, model, steps, seconds (training only), stepsPerSecond,
  psnrDB, ssim, mae, unit, dataRange, slices, unmaskedSlices, history (each validation), affineBaseline,
  medsynth {validation (last row of validation.csv, if any), validationHistory, baselines}. Progress lines go
  to stderr every 100 steps.
"""
import argparse
import csv
import json
import math
import os
import random
import sys
import time

import numpy as np

# Idle OpenMP workers sleep instead of spinning: on a shared machine with more runnable threads than cores,
# spinning workers make every op wait for a descheduled thread (measured here: 2 threads 25× slower than 1).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))


# --- intensities (IntensityMapping) ------------------------------------------------------------------------------
def normalise(values, lower, upper):
    """float32 normalised values: clip((2(v − lower) − width)/width, −1, 1), computed in float64."""
    width = upper - lower
    n = (2.0 * (values.astype(np.float64) - lower) - width) / width
    return np.clip(n.astype(np.float32), -1.0, 1.0)


def physical(normalised, lower, upper):
    """float32 physical values: lower + (clip(n, −1, 1) + 1)·(width/2), computed in float64."""
    width = upper - lower
    n = np.clip(normalised.astype(np.float64), -1.0, 1.0)
    return (lower + (n + 1.0) * (width / 2.0)).astype(np.float32)


def learning_rate_factor(step, steps, decay_fraction):
    """TrainingSchedule.learningRateFactor (step 0-based)."""
    decay = int(math.floor(steps * decay_fraction + 0.5))   # Swift's .rounded(): half away from zero (≥ 0 here)
    constant = steps - decay
    if step < constant or decay <= 0:
        return 1.0
    return 1.0 - (step - constant + 1) / (decay + 1)


# --- metrics (TranslationRun.score) -------------------------------------------------------------------------------
def slice_ssim(target, output, data_range, mask):
    """(value, masked): SSIM of one slice as MedSynth averages it inside the head."""
    from skimage.metrics import structural_similarity
    mean, s = structural_similarity(target.astype(np.float64), output.astype(np.float64), data_range=data_range,
                                    full=True)
    pad = 3   # (win_size − 1)/2 for the default 7-window
    if mask is not None and mask.any():
        inner = mask[pad:-pad, pad:-pad]
        if inner.any():
            return float(s[pad:-pad, pad:-pad][inner].mean()), True
    return float(mean), False


class Scorer:
    """Accumulates TranslationRun.score over slices."""

    def __init__(self, data_range):
        self.range = data_range
        self.squared = self.absolute = self.ssim_sum = 0.0
        self.voxels = self.slices = self.unmasked = 0

    def add(self, output, target, mask):
        use_mask = mask is not None and bool(mask.any())
        d = output.astype(np.float64) - target.astype(np.float64)
        if use_mask:
            d = d[mask]
        self.squared += float(np.sum(d * d))
        self.absolute += float(np.sum(np.abs(d)))
        self.voxels += d.size
        value, masked = slice_ssim(target, output, self.range, mask if use_mask else None)
        if not masked:
            self.unmasked += 1
        self.ssim_sum += value
        self.slices += 1

    def result(self):
        mse = self.squared / self.voxels
        return {"psnrDB": 10 * math.log10(self.range ** 2 / mse) if mse > 0 else math.inf,
                "ssim": self.ssim_sum / self.slices, "mae": self.absolute / self.voxels,
                "dataRange": self.range, "slices": self.slices, "unmaskedSlices": self.unmasked}


# --- data (SliceDataset) ------------------------------------------------------------------------------------------
class Data:
    def __init__(self, run_dir, split, options, seed):
        import h5py
        self.split = split
        self.options = options
        self.paired = split["pairing"] == "paired"
        self.crop = int(split["cropSize"])
        self.flip = bool(split["randomFlip"])
        self.batch = int(split["batchSize"])
        files = [f if os.path.isabs(f) else os.path.join(run_dir, f) for f in split["files"]]
        handles = [h5py.File(f, "r") for f in files]
        self.a, self.b = [], []            # normalised float32 volumes of the training cases
        self.entries_a, self.entries_b = [], []
        for i, c in enumerate(split["trainingCases"]):
            group = handles[c["file"]]["cases"][c["caseID"]]
            va = normalise(np.asarray(group[split["modalityA"]]), c["windowA"]["lower"], c["windowA"]["upper"])
            vb = normalise(np.asarray(group[split["modalityB"]]), c["windowB"]["lower"], c["windowB"]["upper"])
            self.a.append(va)
            self.b.append(vb)
            self.entries_a += [(i, s) for s in c["trainingSlices"]]
            self.entries_b += [(i, s) for s in self.eligible_b(c, vb)]
        # Held-out slices: A normalised, B physical through its own window, the head mask.
        cases = {(c["file"], c["caseID"]): c for c in split["validationCases"] + split["trainingCases"]}
        window = split["outputWindowB"]
        self.validation = []
        for v in split["validationSlices"]:
            c = cases[(v["fileIndex"], v["caseID"])]
            group = handles[v["fileIndex"]]["cases"][v["caseID"]]
            r0, c0, h, w = v["originRow"], v["originColumn"], v["height"], v["width"]

            def crop(name):
                x = np.asarray(group[name][v["slice"], r0:r0 + h, c0:c0 + w])
                return x[:, ::-1] if v.get("flipped") else x
            a = normalise(crop(split["modalityA"]), c["windowA"]["lower"], c["windowA"]["upper"])
            a_physical = physical(a, c["windowA"]["lower"], c["windowA"]["upper"])
            b = physical(normalise(crop(split["modalityB"]), c["windowB"]["lower"], c["windowB"]["upper"]),
                         c["windowB"]["lower"], c["windowB"]["upper"])
            mask = crop("label") > 0 if "label" in group else None
            self.validation.append({"a": np.ascontiguousarray(a), "a_physical": a_physical, "b": b, "mask": mask})
        for f in handles:
            f.close()
        self.window = (window["lower"], window["upper"])
        self.rng = np.random.default_rng(seed)
        self.order = {"A": [], "B": []}

    def eligible_b(self, case, vb):
        """B's training slices: split.json lists A's; they are B's too unless unpaired with intensity foreground."""
        o = self.options
        threshold = float(o.get("minimumForegroundFraction", 0.05))
        if self.paired or o.get("foregroundSource", "labels") != "intensity" or threshold <= 0:
            return case["trainingSlices"]
        level = np.float32(o.get("intensityForegroundLevel", -0.9))
        n = vb.shape[1] * vb.shape[2]
        return [k for k in range(vb.shape[0]) if np.count_nonzero(vb[k] > level) >= threshold * n]

    def next_entry(self, stream, entries):
        if not self.order[stream]:
            self.order[stream] = list(self.rng.permutation(len(entries))[::-1])   # a new shuffled pass
        return entries[self.order[stream].pop()]

    def draw(self, volumes, entry):
        case, k = entry
        vol = volumes[case]
        H, W = vol.shape[1], vol.shape[2]
        h, w = (self.crop, self.crop) if self.crop else (H, W)
        r, c = int(self.rng.integers(0, H - h + 1)), int(self.rng.integers(0, W - w + 1))
        flip = self.flip and bool(self.rng.integers(0, 2))
        return (case, k, r, c, h, w, flip)

    @staticmethod
    def image(volumes, sample):
        case, k, r, c, h, w, flip = sample
        x = volumes[case][k, r:r + h, c:c + w]
        return x[:, ::-1] if flip else x

    def next_batch(self):
        import torch
        a, b = [], []
        for _ in range(self.batch):
            sa = self.draw(self.a, self.next_entry("A", self.entries_a))
            sb = sa if self.paired else self.draw(self.b, self.next_entry("B", self.entries_b))
            a.append(self.image(self.a, sa))
            b.append(self.image(self.b, sb))
        return (torch.from_numpy(np.ascontiguousarray(np.stack(a)[:, None])),
                torch.from_numpy(np.ascontiguousarray(np.stack(b)[:, None])))


# --- training ------------------------------------------------------------------------------------------------------
class ImagePool:
    """The reference ImagePool (util/image_pool.py); capacity 0 returns its input."""

    def __init__(self, capacity, seed):
        self.capacity, self.images, self.random = capacity, [], random.Random(seed)

    def query(self, images):
        import torch
        if self.capacity == 0:
            return images
        out = []
        for image in images.detach():
            image = image.unsqueeze(0)
            if len(self.images) < self.capacity:
                self.images.append(image)
                out.append(image)
            elif self.random.uniform(0, 1) > 0.5:
                i = self.random.randint(0, self.capacity - 1)
                out.append(self.images[i].clone())
                self.images[i] = image
            else:
                out.append(image)
        return torch.cat(out, 0)


def gan_loss(mode):
    import torch
    import torch.nn as nn
    if mode == "vanilla":
        bce = nn.BCEWithLogitsLoss()
        return lambda p, real: bce(p, torch.full_like(p, 1.0 if real else 0.0))
    if mode == "lsgan":
        mse = nn.MSELoss()
        return lambda p, real: mse(p, torch.full_like(p, 1.0 if real else 0.0))
    if mode == "wgangp":
        return lambda p, real: -p.mean() if real else p.mean()
    raise SystemExit(f"network.ganMode {mode!r} is not vanilla, lsgan or wgangp")


class Translator:
    """The networks, optimizers and one training step of a model kind."""

    def __init__(self, model, net, seed):
        import torch
        import torch.nn as nn
        from make_torch_network_fixtures import NLayerDiscriminator, ResnetGenerator, UnetGenerator, init_weights
        torch.manual_seed(seed)
        self.model, self.net = model, net
        norm = net.get("norm", "instance" if model != "pix2pix" else "batch")
        ngf, ndf = int(net.get("generatorFilters", 64)), int(net.get("discriminatorFilters", 64))
        layers = int(net.get("discriminatorLayers", 3))
        cin, cout = int(net.get("inputChannels", 1)), int(net.get("outputChannels", 1))
        self.gan = gan_loss(net.get("ganMode", "vanilla" if model == "pix2pix" else "lsgan"))
        self.l1 = nn.L1Loss()
        lr, betas = float(net.get("learningRate", 2e-4)), (float(net.get("beta1", 0.5)), float(net.get("beta2", 0.999)))
        if model in ("pix2pix", "cgan"):
            self.noise_channels = int(net.get("noiseChannels", 1)) if model == "cgan" else 0
            self.noise_std = float(net.get("noiseStd", 1.0)) if model == "cgan" else 0.0
            dropout = bool(net.get("useDropout", model == "pix2pix"))
            gin = cin + self.noise_channels
            if model == "cgan" and net.get("generatorArchitecture", "unet") == "resnet":
                G = ResnetGenerator(gin, cout, ngf, norm=norm, use_dropout=dropout,
                                    n_blocks=int(net.get("residualBlocks", 9)))
            else:
                G = UnetGenerator(gin, cout, int(net.get("downsamplings", 8)), ngf=ngf, norm=norm, use_dropout=dropout)
            D = NLayerDiscriminator(cin + cout, ndf, n_layers=layers, norm=norm)
            self.nets = {"G": G, "D": D}
            self.lambda_l1 = float(net.get("lambdaL1", 100))
            self.pool = ImagePool(int(net.get("poolSize", 0)), seed + 1)
            self.opt = {"G": torch.optim.Adam(G.parameters(), lr, betas=betas),
                        "D": torch.optim.Adam(D.parameters(), lr, betas=betas)}
            self.noise = torch.Generator().manual_seed(seed + 3)
        elif model == "cyclegan":
            blocks = int(net.get("residualBlocks", 9))
            self.nets = {"G_A": ResnetGenerator(cin, cout, ngf, norm=norm, n_blocks=blocks),
                         "G_B": ResnetGenerator(cout, cin, ngf, norm=norm, n_blocks=blocks),
                         "D_A": NLayerDiscriminator(cout, ndf, n_layers=layers, norm=norm),
                         "D_B": NLayerDiscriminator(cin, ndf, n_layers=layers, norm=norm)}
            self.lambda_a, self.lambda_b = float(net.get("lambdaA", 10)), float(net.get("lambdaB", 10))
            self.lambda_idt = float(net.get("lambdaIdentity", 0.5))
            size = int(net.get("poolSize", 50))
            self.pool_a, self.pool_b = ImagePool(size, seed + 1), ImagePool(size, seed + 2)   # fake A, fake B
            n = self.nets
            self.opt = {"G": torch.optim.Adam(list(n["G_A"].parameters()) + list(n["G_B"].parameters()), lr, betas=betas),
                        "D": torch.optim.Adam(list(n["D_A"].parameters()) + list(n["D_B"].parameters()), lr, betas=betas)}
        else:
            raise SystemExit(f"model {model!r} is not pix2pix, cgan or cyclegan")
        for m in self.nets.values():
            init_weights(m)
            m.train()
        self.base_lr = lr
        self.losses = {}

    def set_learning_rate(self, lr):
        for opt in self.opt.values():
            for group in opt.param_groups:
                group["lr"] = lr

    def with_noise(self, a, generator):
        import torch
        if self.noise_channels == 0:
            return a
        z = torch.randn((a.shape[0], self.noise_channels) + tuple(a.shape[2:]), generator=generator) * self.noise_std
        return torch.cat([a, z], 1)

    def step(self, real_a, real_b):
        if self.model == "cyclegan":
            return self.cyclegan_step(real_a, real_b)
        import torch
        G, D = self.nets["G"], self.nets["D"]
        fake_b = G(self.with_noise(real_a, self.noise))
        fake_ab = torch.cat([real_a, fake_b], 1)
        for p in D.parameters():
            p.requires_grad_(True)
        self.opt["D"].zero_grad()
        loss_d_fake = self.gan(D(self.pool.query(fake_ab).detach()), False)
        loss_d_real = self.gan(D(torch.cat([real_a, real_b], 1)), True)
        ((loss_d_fake + loss_d_real) * 0.5).backward()
        self.opt["D"].step()
        for p in D.parameters():
            p.requires_grad_(False)
        self.opt["G"].zero_grad()
        loss_g_gan = self.gan(D(fake_ab), True)
        loss_g_l1 = self.l1(fake_b, real_b) * self.lambda_l1
        (loss_g_gan + loss_g_l1).backward()
        self.opt["G"].step()
        self.losses = {"G_GAN": loss_g_gan.item(), "G_L1": loss_g_l1.item(), "D_real": loss_d_real.item(),
                       "D_fake": loss_d_fake.item()}

    def cyclegan_step(self, real_a, real_b):
        n = self.nets
        G_A, G_B, D_A, D_B = n["G_A"], n["G_B"], n["D_A"], n["D_B"]
        fake_b = G_A(real_a); rec_a = G_B(fake_b)
        fake_a = G_B(real_b); rec_b = G_A(fake_a)
        d_params = list(D_A.parameters()) + list(D_B.parameters())
        for p in d_params:
            p.requires_grad_(False)
        self.opt["G"].zero_grad()
        loss = {}
        if self.lambda_idt > 0:
            loss["idt_A"] = self.l1(G_A(real_b), real_b) * (self.lambda_b * self.lambda_idt)
            loss["idt_B"] = self.l1(G_B(real_a), real_a) * (self.lambda_a * self.lambda_idt)
        loss["G_A"] = self.gan(D_A(fake_b), True)
        loss["G_B"] = self.gan(D_B(fake_a), True)
        loss["cycle_A"] = self.l1(rec_a, real_a) * self.lambda_a
        loss["cycle_B"] = self.l1(rec_b, real_b) * self.lambda_b
        sum(loss.values()).backward()
        self.opt["G"].step()
        for p in d_params:
            p.requires_grad_(True)
        self.opt["D"].zero_grad()
        for name, D, real, fake in (("D_A", D_A, real_b, self.pool_b.query(fake_b)),
                                    ("D_B", D_B, real_a, self.pool_a.query(fake_a))):
            loss_d = 0.5 * (self.gan(D(real), True) + self.gan(D(fake.detach()), False))
            loss_d.backward()
            loss[name] = loss_d
        self.opt["D"].step()
        self.losses = {k: v.item() for k, v in loss.items()}

    def translate(self, a, noise):
        """A→B in eval mode without gradients; the modes are restored."""
        import torch
        G = self.nets["G_A" if self.model == "cyclegan" else "G"]
        was = G.training
        G.eval()
        try:
            with torch.no_grad():
                return G(a if self.model == "cyclegan" else self.with_noise(a, noise))
        finally:
            G.train(was)


def validate(translator, data, batch_size, seed):
    import torch
    noise = torch.Generator().manual_seed(seed ^ 0x76616C69)   # one fixed stream per pass, every pass alike
    scorer = Scorer(data.window[1] - data.window[0])
    items = data.validation
    for start in range(0, len(items), batch_size):
        chunk = items[start:start + batch_size]
        shapes = {x["a"].shape for x in chunk}
        groups = [chunk] if len(shapes) == 1 else [[x] for x in chunk]
        for group in groups:
            a = torch.from_numpy(np.stack([x["a"] for x in group])[:, None])
            out = translator.translate(a, noise).numpy()
            for x, o in zip(group, out):
                scorer.add(physical(o[0], *data.window), x["b"], x["mask"])
    return scorer.result()


def affine_baseline(data):
    """MedSynth's affine baseline (TranslationRun.scoreBaselines), scored with the same scorer."""
    n = sx = sy = sxx = sxy = 0.0
    for x in data.validation:
        a, b = x["a_physical"].astype(np.float64), x["b"].astype(np.float64)
        if x["mask"] is not None:
            a, b = a[x["mask"]], b[x["mask"]]
        n += a.size; sx += a.sum(); sy += b.sum(); sxx += (a * a).sum(); sxy += (a * b).sum()
    variance = sxx - sx * sx / max(n, 1)
    slope = (sxy - sx * sy / n) / variance if variance > 0 else 0.0
    intercept = (sy - slope * sx) / max(n, 1)
    lower, upper = np.float32(data.window[0]), np.float32(data.window[1])
    scorer = Scorer(data.window[1] - data.window[0])
    for x in data.validation:
        y = (slope * x["a_physical"].astype(np.float64) + intercept).astype(np.float32)
        scorer.add(np.minimum(upper, np.maximum(lower, y)), x["b"], x["mask"])
    return {**scorer.result(), "affineSlope": slope, "affineIntercept": intercept}


def read_medsynth(run_dir):
    out = {}
    path = os.path.join(run_dir, "validation.csv")
    if os.path.exists(path):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))

        def typed(row):
            return {k: (v if k == "unit" else (int(v) if k in ("step", "slices", "unmasked_slices") else float(v)))
                    for k, v in row.items()}
        if rows:
            out["validation"] = typed(rows[-1])
            out["validationHistory"] = [typed(r) for r in rows]
    path = os.path.join(run_dir, "baselines.json")
    if os.path.exists(path):
        with open(path) as f:
            out["baselines"] = json.load(f)
    return out


def jsonable(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [jsonable(v) for v in x]
    return x


def run(args):
    import torch
    import yaml
    torch.set_num_threads(args.threads)
    with open(os.path.join(args.run, "config.yaml")) as f:
        config = yaml.safe_load(f)
    with open(os.path.join(args.run, "split.json")) as f:
        split = json.load(f)
    model, net, training = config["model"], config.get("network", {}), config.get("training", {})
    seed = int(config.get("seed", 0)) if args.seed is None else args.seed
    steps = int(training.get("steps", 2000)) if args.steps is None else args.steps
    decay_fraction = float(training.get("decayFraction", 0.5))
    validate_every = int(training.get("validateEvery", 250)) if args.validate_every is None else args.validate_every
    batch_size = int(training.get("validationBatchSize", 4))
    options = config.get("data", {}).get("slices", {})

    data = Data(args.run, split, options, seed)
    baseline = affine_baseline(data)
    translator = Translator(model, net, seed)
    print(f"{model} {split['modalityA']}→{split['modalityB']}: {len(data.entries_a)} training slices of "
          f"{len(data.a)} cases, {len(data.validation)} held-out slices, {steps} steps, seed {seed}, "
          f"torch {torch.__version__}, {args.threads} threads", file=sys.stderr)
    print(f"affine baseline (this scorer): PSNR {baseline['psnrDB']:.4f} dB, SSIM {baseline['ssim']:.5f}, "
          f"MAE {baseline['mae']:.4f}", file=sys.stderr)
    history = []
    train_seconds = 0.0
    for k in range(steps):
        t0 = time.perf_counter()
        translator.set_learning_rate(translator.base_lr * learning_rate_factor(k, steps, decay_fraction))
        translator.step(*data.next_batch())
        train_seconds += time.perf_counter() - t0
        bad = [n for n, v in translator.losses.items() if not math.isfinite(v)]
        if bad:
            raise SystemExit(f"step {k + 1}: loss {bad[0]} is {translator.losses[bad[0]]}")
        done = k + 1
        if done % 100 == 0 or done == steps:
            losses = ", ".join(f"{n} {v:.4f}" for n, v in translator.losses.items())
            print(f"step {done}/{steps}  {done / train_seconds:.2f} steps/s  {losses}", file=sys.stderr)
        if done == steps or (validate_every > 0 and done % validate_every == 0):
            result = {"step": done, **validate(translator, data, batch_size, seed)}
            history.append(result)
            print(f"  validation step {done}: PSNR {result['psnrDB']:.4f} dB, SSIM {result['ssim']:.5f}, "
                  f"MAE {result['mae']:.4f}", file=sys.stderr)
    if steps == 0:
        history.append({"step": 0, **validate(translator, data, batch_size, seed)})
    final = history[-1]
    out = {"peer": f"torch {torch.__version__}", "model": model, "run": os.path.normpath(args.run), "seed": seed,
           "threads": args.threads, "steps": steps, "seconds": train_seconds,
           "stepsPerSecond": steps / train_seconds if train_seconds > 0 else 0.0,
           "psnrDB": final["psnrDB"], "ssim": final["ssim"], "mae": final["mae"], "unit": split.get("outputUnitB"),
           "dataRange": final["dataRange"], "slices": final["slices"], "unmaskedSlices": final["unmaskedSlices"],
           "history": history, "affineBaseline": baseline, "medsynth": read_medsynth(args.run)}
    text = json.dumps(jsonable(out), indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


def self_test():
    from skimage.metrics import structural_similarity
    rng = np.random.default_rng(0)
    failures = []

    def check(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}", file=sys.stderr)
        if not ok:
            failures.append(name)
    x = rng.uniform(0, 100, (48, 40))
    y = x + rng.normal(0, 10, x.shape)
    mean, s = structural_similarity(x, y, data_range=100.0, full=True)
    check("skimage's SSIM is the mean of S[3:-3, 3:-3]", abs(s[3:-3, 3:-3].mean() - mean) < 1e-12,
          f"({s[3:-3, 3:-3].mean()!r} vs {mean!r})")
    value, masked = slice_ssim(x, y, 100.0, np.ones(x.shape, bool))
    check("masked SSIM with an all-true mask equals skimage's", masked and abs(value - mean) < 1e-12)
    mask = np.zeros(x.shape, bool)
    mask[10:30, 5:25] = True
    value, masked = slice_ssim(x, y, 100.0, mask)
    check("masked SSIM averages S over the cropped interior ∩ mask",
          masked and abs(value - s[10:30, 5:25].mean()) < 1e-12)
    edge = np.zeros(x.shape, bool)
    edge[:, :3] = True
    value, masked = slice_ssim(x, y, 100.0, edge)
    check("a mask outside the cropped interior falls back to the plain mean", not masked and value == mean)
    scorer = Scorer(100.0)
    scorer.add(x.astype(np.float32), x.astype(np.float32), mask)
    r = scorer.result()
    check("PSNR of identical images is inf", r["psnrDB"] == math.inf and r["mae"] == 0.0 and r["ssim"] == 1.0)
    scorer = Scorer(100.0)
    scorer.add(y, x, mask)
    scorer.add(y, x, None)
    d = np.concatenate([(y - x)[mask], (y - x).ravel()])
    check("PSNR and MAE are pooled over the masked voxels of every slice",
          abs(scorer.result()["psnrDB"] - 10 * math.log10(100.0 ** 2 / np.mean(d * d))) < 1e-9
          and abs(scorer.result()["mae"] - np.mean(np.abs(d))) < 1e-12 and scorer.result()["unmaskedSlices"] == 1)
    v = np.array([-2000.0, -1024.0, 488.0, 2000.0, 3000.0], np.float32)
    n = normalise(v, -1024.0, 2000.0)
    check("normalisation clips to [−1, 1] and is exact at the window's bounds and centre",
          list(n) == [-1.0, -1.0, 0.0, 1.0, 1.0])
    check("physical(normalised) clips to the window", list(physical(n, -1024.0, 2000.0)) == [-1024, -1024, 488, 2000, 2000])
    f = [learning_rate_factor(k, 4000, 0.5) for k in (0, 1999, 2000, 3999)]
    check("learning-rate schedule", f[:2] == [1.0, 1.0] and abs(f[2] - (1 - 1 / 2001)) < 1e-15
          and abs(f[3] - 1 / 2001) < 1e-15, str(f))
    pool = ImagePool(2, 0)
    import torch
    outs = [pool.query(torch.full((1, 1, 2, 2), float(i))) for i in range(50)]
    check("image pool returns a fake or a stored one", all(o.shape == (1, 1, 2, 2) for o in outs)
          and len(pool.images) == 2 and any(o[0, 0, 0, 0] != i for i, o in enumerate(outs)))
    print("self-test " + ("passed" if not failures else f"FAILED: {failures}"), file=sys.stderr)
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="a MedSynth run folder (config.yaml, split.json); only read")
    ap.add_argument("--steps", type=int, help="training steps (default: the config's training.steps)")
    ap.add_argument("--seed", type=int, help="seed of weights, sampling, dropout and noise (default: the config's)")
    ap.add_argument("--out", help="also write the JSON result here")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--validate-every", type=int,
                    help="also validate every N steps (default: the config's training.validateEvery; 0: only at the end)")
    ap.add_argument("--self-test", action="store_true", help="check the metric code and exit")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(self_test())
    if not args.run:
        ap.error("--run is required (or --self-test)")
    run(args)


if __name__ == "__main__":
    main()
