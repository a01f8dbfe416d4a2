import Foundation
import Testing
import MedCore
import MedIO
import MedNN
import MedTensor
import MedTestSupport

/// The reference networks load PyTorch weights and reproduce PyTorch's outputs.
///
/// Fixtures: `Tests/Fixtures/networks/<name>.h5`, written by `scripts/make_torch_network_fixtures.py` with the
/// reference pytorch-CycleGAN-and-pix2pix architectures (PyTorch 2.15, float32, eval mode), in the checkpoint
/// layout of docs/CHECKPOINT_FORMAT.md plus `/fixture/input` and `/fixture/expected_output`; `<name>.keys.txt`
/// lists PyTorch's state_dict keys and shapes in order.
@Suite struct PyTorchWeightsTests {
    struct Fixture {
        var state: [String: Tensor]
        var input: Tensor
        var expected: Tensor
    }

    /// Reads a fixture's tensors (inside the HDF5 test gate: see `HDF5TestGate`).
    static func load(_ name: String) throws -> Fixture {
        try HDF5TestGate.exclusive {
            let file = try HDF5File.open(Fixtures.url("networks/\(name).h5"))
            func tensor(_ path: String) throws -> Tensor {
                let ds = try file.root.dataset(path)
                return Tensor(try ds.read(as: Float.self), shape: ds.shape)
            }
            var state: [String: Tensor] = [:]
            for group in ["parameters", "buffers"] where file.root.exists(group) {
                for child in try file.root.group(group).children() {
                    state[child.name] = try tensor("\(group)/\(child.name)")
                }
            }
            return Fixture(state: state, input: try tensor("fixture/input"), expected: try tensor("fixture/expected_output"))
        }
    }

    /// `key shape` lines of the fixture's keys.txt, in PyTorch's order.
    static func pytorchKeys(_ name: String) throws -> [String] {
        try String(contentsOf: Fixtures.url("networks/\(name).keys.txt"), encoding: .utf8)
            .split(separator: "\n").map { String($0.split(separator: " ")[0]) }
    }

    /// Loads the fixture into `module`, checks the key list, runs the input and compares with PyTorch.
    func check(_ name: String, _ module: Module, forward: (Tensor) -> Tensor) throws {
        let fixture = try Self.load(name)
        #expect(module.orderedStateDict().map(\.key) == (try Self.pytorchKeys(name)), "\(name): key order differs from PyTorch's")
        // PyTorch stores num_batches_tracked as int64 scalars; MedNN keeps it as a rank-0 Float buffer.
        var state = fixture.state
        for (key, value) in state where key.hasSuffix("num_batches_tracked") { state[key] = value.reshaped([]) }
        try module.loadStateDict(state, strict: true)
        module.eval()
        let output = withNoGrad { forward(fixture.input) }
        #expect(output.shape == fixture.expected.shape)
        let difference = Approx.maxAbsDifference(output.scalars, fixture.expected.scalars)
        #expect(difference <= 1e-4, "\(name): max |Swift − PyTorch| = \(difference)")
    }

    @Test func resnetGenerator() throws {
        var g = SeededGenerator(seed: 1)
        let net = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 8, norm: .instance, blocks: 6), generator: &g)
        try check("resnet6_instance_ngf8", net) { net($0) }
    }

    @Test(arguments: [("unet128_batch_ngf4", NormalizationKind.batch), ("unet128_instance_ngf4", .instance)])
    func unetGenerator(name: String, norm: NormalizationKind) throws {
        var g = SeededGenerator(seed: 2)
        let net = UnetGenerator(UnetGeneratorConfig(inputChannels: 1, outputChannels: 1, downsamplings: 7, filters: 4, norm: norm), generator: &g)
        try check(name, net) { net($0) }
    }

    @Test func patchGANDiscriminator() throws {
        var g = SeededGenerator(seed: 3)
        let net = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 8, layers: 3, norm: .instance), generator: &g)
        try check("nlayer3_instance_ndf8", net) { net($0) }
    }

    @Test func pixelDiscriminator() throws {
        var g = SeededGenerator(seed: 4)
        let net = PixelDiscriminator(inputChannels: 1, filters: 8, norm: .batch, generator: &g)
        try check("pixel_batch_ndf8", net) { net($0) }
    }
}
