import Foundation
import Testing
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport
import MedTraining

/// Pix2PixTrainer's training step is PyTorch's: from the same weights and inputs, three steps give the same
/// losses, weights, batch-norm running statistics and Adam moments.
///
/// Fixture: `Tests/Fixtures/pix2pix-step/pix2pix_step.h5`, written by `scripts/make_pix2pix_step_fixture.py`
/// (layout in its docstring): the initial state_dicts of G (U-Net, 5 downsamplings, ngf 2, batch norm) and D
/// (basic PatchGAN on concat(A, B), ndf 2, batch norm), a batch of two 32×32 pairs, the losses after each of three
/// steps of the reference's `Pix2PixModel.optimize_parameters` (vanilla GAN, λ_L1 100, Adam 2e-4 β (0.5, 0.999),
/// no pool; PyTorch 2.15 CPU float32), and after steps 1 and 3 every parameter and buffer and the Adam moments
/// of a few parameters (after step 1 exp_avg of all: every gradient of the first step). The same steps in float64
/// differ from the float32 run by at most 2.0e-6 in the losses, 1.3e-7 in the weights, 2.3e-7 in the running
/// statistics and 1.2e-6 (relative) in exp_avg (root attributes `float64_max_*`): float32 rounding alone.
///
/// Measured (steps 1 and 3): losses 6.0e-8 (every step), weights 1.4e-8 and 1.5e-8, running statistics 6.0e-8;
/// every gradient of step 1 (as exp_avg) 1.9e-6 relative, exp_avg_sq 1.4e-5 relative — the latter is MedNN's Adam
/// forming 1 − β2 in Float (see CycleGANStepInteropTests), not a difference in the gradients. With batch norm there
/// are no gradient-free biases (the convolutions before a norm have no bias), unlike the instance-norm CycleGAN
/// fixture, so every parameter is compared at one tolerance.
///
/// The tolerances are CycleGANStepInteropTests' and for the same reason far above what was measured here: Adam
/// moves a weight by lr·g/(|g| + eps), so a rounding-level difference in a gradient near 0 (another BLAS kernel,
/// another summation order) becomes a difference of up to a fraction of lr (2e-4) in the weight. Gradients are not
/// amplified, so exp_avg is held 10× tighter.
@Suite struct Pix2PixStepInteropTests {
    /// Tolerance for losses, weights and running statistics: max |Swift − PyTorch| (G_L1 is ~50, where a float32
    /// ulp is 3.8e-6).
    static let absoluteTolerance = 1e-4
    /// Tolerance for exp_avg (step 1: the gradients), relative to the largest |value| of the same tensor.
    static let gradientMomentTolerance = 1e-5
    /// Tolerance for exp_avg_sq, relative (its β2 differs from PyTorch's by Float rounding, ~1.3e-5 relative).
    static let squaredMomentTolerance = 1e-4

    /// The fixture's sizes and hyperparameters (root attribute `options`, JSON with snake_case keys).
    struct Options: Decodable {
        var size: Int, batchSize: Int, ngf: Int, ndf: Int, numDowns: Int, nLayersD: Int
        var norm: String, useDropout: Bool, ganMode: String, lambdaL1: Float
        var lr: Float, beta1: Float, beta2: Float, eps: Float, poolSize: Int
    }

    struct Fixture {
        var options: Options
        var steps: Int
        /// Network name → state_dict (parameters and buffers) before the first step.
        var initial: [String: [String: Tensor]]
        var realA: Tensor
        var realB: Tensor
        /// Loss name → value at each step (`G` and `D` are the totals).
        var losses: [String: [Float]]
        /// Step → `<net>.<key>` → state entry after the step (steps 1 and 3).
        var snapshots: [Int: [String: Tensor]]
        /// Step → `<net>.<key>.exp_avg` / `.exp_avg_sq` → Adam moment after the step.
        var moments: [Int: [String: Tensor]]
    }

    static let networks = ["G", "D"]

    /// Reads the fixture (inside the HDF5 test gate: see `HDF5TestGate`).
    static func load() throws -> Fixture {
        try HDF5TestGate.exclusive {
            let file = try HDF5File.open(Fixtures.url("pix2pix-step/pix2pix_step.h5"))
            func tensor(_ path: String) throws -> Tensor {
                let ds = try file.root.dataset(path)
                return Tensor(try ds.read(as: Float.self), shape: ds.shape)
            }
            func tensors(in group: String, keyPrefix: String = "") throws -> [String: Tensor] {
                var result: [String: Tensor] = [:]
                for child in try file.root.group(group).children() where child.kind == .dataset {
                    result[keyPrefix + child.name] = try tensor("\(group)/\(child.name)")
                }
                return result
            }
            let attributes = file.root.attributes
            guard let json = try attributes.string("options"), let steps = try attributes.int("steps"),
                  let snapshotSteps = try attributes.ints("snapshot_steps") else {
                throw MedSynthError(.corrupt, "pix2pix_step.h5", "root attributes options, steps, snapshot_steps expected")
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            var fixture = Fixture(options: try decoder.decode(Options.self, from: Data(json.utf8)), steps: steps,
                                  initial: [:], realA: try tensor("inputs/real_A"), realB: try tensor("inputs/real_B"),
                                  losses: [:], snapshots: [:], moments: [:])
            for net in networks { fixture.initial[net] = try tensors(in: "initial/\(net)") }
            for child in try file.root.group("losses").children() {
                fixture.losses[child.name] = try file.root.dataset("losses/\(child.name)").read(as: Float.self)
            }
            for step in snapshotSteps {
                var entries: [String: Tensor] = [:]
                for net in networks {
                    entries.merge(try tensors(in: "step_\(step)/\(net)", keyPrefix: net + "."), uniquingKeysWith: { a, _ in a })
                }
                fixture.snapshots[step] = entries
                fixture.moments[step] = try tensors(in: "step_\(step)/optimizer")
            }
            return fixture
        }
    }

    /// A Pix2PixTrainer with the fixture's options, both networks loaded with the fixture's initial state.
    static func trainer(for fixture: Fixture) throws -> Pix2PixTrainer {
        let o = fixture.options
        var options = Pix2PixOptions()
        (options.generatorFilters, options.discriminatorFilters) = (o.ngf, o.ndf)
        (options.downsamplings, options.discriminatorLayers) = (o.numDowns, o.nLayersD)
        // Everything else is the fixture's as it is the default: the step checked is the default pix2pix step
        // (Adam's eps is fixed at PyTorch's 1e-8).
        try #require(options.norm.rawValue == o.norm && options.ganMode.rawValue == o.ganMode
                     && options.useDropout == o.useDropout && options.lambdaL1 == o.lambdaL1
                     && options.learningRate == o.lr && options.beta1 == o.beta1 && options.beta2 == o.beta2
                     && options.poolSize == o.poolSize && o.eps == 1e-8,
                     "the fixture's hyperparameters are not Pix2PixOptions' defaults")
        let trainer = try Pix2PixTrainer(options: options, seed: 1)
        for (name, module) in trainer.networks {
            let state = try #require(fixture.initial[name], "fixture has no initial state for \(name)")
            try module.loadStateDict(state, strict: true)
        }
        return trainer
    }

    /// max over i of |a[i] − b[i]| / max |b|.
    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> Double {
        let scale = b.scalars.reduce(0) { max($0, Double(abs($1))) }
        return Approx.maxAbsDifference(a.scalars, b.scalars) / max(scale, .leastNormalMagnitude)
    }

    @Test func threeStepsMatchPyTorch() throws {
        let fixture = try Self.load()
        let trainer = try Self.trainer(for: fixture)
        #expect(!trainer.generator.namedModules().contains { $0.module is Dropout },
                "5 downsamplings have no dropout level, so the step is deterministic")
        trainer.setInput(PairedBatch(realA: fixture.realA, realB: fixture.realB))
        let state = { () -> [String: Tensor] in
            var result: [String: Tensor] = [:]
            for (name, module) in trainer.networks {
                for (key, value) in module.orderedStateDict() { result[name + "." + key] = value }
            }
            return result
        }
        let optimizerState = { trainer.optimizerG.state().merging(trainer.optimizerD.state(), uniquingKeysWith: { a, _ in a }) }
        #expect(fixture.snapshots.keys.sorted() == [1, fixture.steps])

        for index in 0..<fixture.steps {
            let step = index + 1
            trainer.optimizeParameters()

            // Losses, as currentLosses() reports them, and the two totals.
            let losses = trainer.currentLosses()
            var lossDifference = 0.0
            for name in trainer.lossNames {
                let reference = try #require(fixture.losses[name]?[index], "fixture has no loss \(name)")
                let value = try #require(losses[name], "trainer reports no loss \(name)")
                let d = abs(Double(value) - Double(reference))
                #expect(d <= Self.absoluteTolerance, "step \(step) loss \(name): Swift \(value), PyTorch \(reference)")
                lossDifference = max(lossDifference, d)
            }
            let totals = [("G", Double(losses["G_GAN"]!) + Double(losses["G_L1"]!)),
                          ("D", 0.5 * (Double(losses["D_real"]!) + Double(losses["D_fake"]!)))]
            for (name, value) in totals {
                let reference = Double(try #require(fixture.losses[name]?[index]))
                #expect(abs(value - reference) <= Self.absoluteTolerance, "step \(step) total \(name): Swift \(value), PyTorch \(reference)")
            }

            guard let expected = fixture.snapshots[step], let moments = fixture.moments[step] else {
                print("[pix2pix step \(step)] max |Swift − PyTorch|: losses \(String(format: "%.2e", lossDifference))")
                continue
            }
            // Every parameter and buffer (running statistics, batches counted).
            let current = state()
            #expect(Set(expected.keys) == Set(current.keys), "step \(step): state keys differ from PyTorch's")
            var worst = (parameter: 0.0, parameterKey: "", buffer: 0.0, bufferKey: "")
            let buffers = Set(trainer.networks.flatMap { net in net.module.namedBuffers(prefix: net.name).map(\.key) })
            for (key, value) in current {
                guard let reference = expected[key] else { continue }
                #expect(value.shape == reference.shape, "\(key): shape \(value.shape), PyTorch \(reference.shape)")
                let d = Approx.maxAbsDifference(value.scalars, reference.scalars)
                #expect(d <= Self.absoluteTolerance, "step \(step) \(key): max |Swift − PyTorch| = \(d)")
                if buffers.contains(key) {
                    if d >= worst.buffer { (worst.buffer, worst.bufferKey) = (d, key) }
                } else if d >= worst.parameter {
                    (worst.parameter, worst.parameterKey) = (d, key)
                }
            }

            // Adam's moments (after step 1, exp_avg = (1 − β1)·gradient of every parameter).
            let optimizer = optimizerState()
            var momentDifference = (exp_avg: 0.0, exp_avg_sq: 0.0)
            for (key, reference) in moments {
                let value = try #require(optimizer[key], "optimizer has no state \(key)")
                let d = Self.relativeDifference(value, reference)
                let tolerance = key.hasSuffix(".exp_avg") ? Self.gradientMomentTolerance : Self.squaredMomentTolerance
                #expect(d <= tolerance, "step \(step) \(key): max |Swift − PyTorch| / max |PyTorch| = \(d)")
                if key.hasSuffix(".exp_avg") { momentDifference.exp_avg = max(momentDifference.exp_avg, d) }
                else { momentDifference.exp_avg_sq = max(momentDifference.exp_avg_sq, d) }
            }

            let e = { (x: Double) in String(format: "%.2e", x) }
            print("[pix2pix step \(step)] max |Swift − PyTorch|: losses \(e(lossDifference)), weights \(e(worst.parameter)) "
                  + "(\(worst.parameterKey)), running statistics \(e(worst.buffer)) (\(worst.bufferKey)); Adam moments "
                  + "relative: exp_avg \(e(momentDifference.exp_avg)), exp_avg_sq \(e(momentDifference.exp_avg_sq))")
        }
    }
}
