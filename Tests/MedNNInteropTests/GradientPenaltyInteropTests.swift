import Foundation
import Testing
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport

/// The WGAN-GP gradient penalty and its gradient with respect to every discriminator parameter — a second-order
/// derivative through convolutions, normalisation and LeakyReLU — equal PyTorch's.
///
/// Fixture: `Tests/Fixtures/gradient-penalty/gradient_penalty.h5`, written by
/// `scripts/make_gradient_penalty_fixture.py` (layout in its docstring): the reference `cal_gradient_penalty`
/// (type mixed, λ 10, c 1) of a 70×70-layout PatchGAN (2 input channels, ndf 8, 32×32, batch 2, training mode)
/// with instance norm and with batch norm, in PyTorch 2.13 CPU float32. The same computation in float64 differs
/// from the float32 one by at most 1.4e-6 relative per tensor (root attributes `*_float64_max_*`): rounding alone.
///
/// Measured (instance / batch norm): penalty 6.2e-7 / 0 relative; ∇ₓ̂D 5.1e-7 / 6.8e-7 of its largest value;
/// dGP/dθ ≤ 2.0e-6 / 1.9e-6 relative per tensor — the float64 floor. The tolerances are 10× that. MedSynth
/// recomputes the normalisation statistics in its second-order rule, so its rounding differs from PyTorch's.
@Suite struct GradientPenaltyInteropTests {
    /// Tolerance for the penalty, relative.
    static let penaltyTolerance: Float = 1e-5
    /// Tolerance for ∇ₓ̂D and dGP/dθ, relative to each tensor's largest |value| (gradients range over two
    /// orders of magnitude between tensors).
    static let gradientTolerance: Float = 2e-5

    struct Case {
        var state: [String: Tensor]
        var real: Tensor, fake: Tensor, alpha: Tensor
        var inputGradient: Tensor
        var penalty: Float
        var gradients: [String: Tensor]
        var gradientFree: Set<String>
    }

    static func load(_ norm: String) throws -> Case {
        try HDF5TestGate.exclusive {
            let file = try HDF5File.open(Fixtures.url("gradient-penalty/gradient_penalty.h5"))
            func tensor(_ path: String) throws -> Tensor {
                let ds = try file.root.dataset(path)
                return Tensor(try ds.read(as: Float.self), shape: ds.shape)
            }
            func group(_ path: String) throws -> [String: Tensor] {
                var result: [String: Tensor] = [:]
                for child in try file.root.group(path).children() { result[child.name] = try tensor("\(path)/\(child.name)") }
                return result
            }
            guard let freeJSON = try file.root.attributes.string("\(norm)_gradient_free_keys") else {
                throw MedSynthError(.corrupt, "gradient_penalty.h5", "root attribute \(norm)_gradient_free_keys expected")
            }
            let free = try JSONDecoder().decode([String].self, from: Data(freeJSON.utf8))
            return Case(state: try group("\(norm)/initial"), real: try tensor("\(norm)/real"),
                        fake: try tensor("\(norm)/fake"), alpha: try tensor("\(norm)/alpha"),
                        inputGradient: try tensor("\(norm)/input_gradient"), penalty: try tensor("\(norm)/penalty").item,
                        gradients: try group("\(norm)/gradients"), gradientFree: Set(free))
        }
    }

    /// max |a − b| relative to max |b|.
    static func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        let scale = b.scalars.map(abs).max() ?? 0
        let diff = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        return scale > 0 ? diff / scale : diff
    }

    @Test(arguments: ["instance", "batch"])
    func penaltyAndParameterGradientsMatchPyTorch(norm: String) throws {
        let fixture = try Self.load(norm)
        var generator = SeededGenerator(seed: 1)
        let kind: NormalizationKind = norm == "instance" ? .instance : .batch
        let d = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 2, filters: 8, layers: 3, norm: kind),
                                    generator: &generator)
        try d.loadStateDict(fixture.state, strict: true)
        d.train()

        // ∇ₓ̂ D alone (first order), then the penalty and its back-propagation into D (second order).
        let interpolated = (fixture.alpha * fixture.real + (1 - fixture.alpha) * fixture.fake).requiringGrad()
        let inputGradient = d(interpolated).gradients(withRespectTo: [interpolated])[0]
        #expect(Self.relativeDifference(inputGradient, fixture.inputGradient) < Self.gradientTolerance)

        let penalty = GradientPenalty()
        let gp = penalty.penalty({ d($0) }, real: fixture.real, fake: fixture.fake, alpha: fixture.alpha)
        #expect(abs(gp.item - fixture.penalty) <= Self.penaltyTolerance * fixture.penalty,
                "penalty \(gp.item), PyTorch \(fixture.penalty)")
        d.zeroGrad()
        gp.backward()

        let largest = fixture.gradients.values.flatMap { $0.scalars.map(abs) }.max() ?? 1
        for (key, parameter) in d.namedParameters() {
            let expected = try #require(fixture.gradients[key], "no PyTorch gradient for \(key)")
            let got = parameter.value.grad ?? Tensor.zeros(expected.shape)
            if fixture.gradientFree.contains(key) {
                // Exactly 0 in exact arithmetic; both sides hold rounding noise, compared with the largest gradient.
                let noise = got.scalars.map(abs).max() ?? 0
                #expect(noise <= 1e-5 * largest, "\(key): \(noise) where PyTorch's float64 gradient is 0")
            } else {
                let difference = Self.relativeDifference(got, expected)
                #expect(difference < Self.gradientTolerance, "\(key): relative difference \(difference)")
            }
        }
    }
}
