// State-dict keys and shapes of the reference networks, as pytorch-CycleGAN-and-pix2pix `networks.py` produces
// them (instance norm, affine=False, track_running_stats=False: norm layers contribute no keys; convolutions
// before a norm have bias=True because use_bias = norm_layer == InstanceNorm2d).
//
// ResnetGenerator(input_nc=1, output_nc=1, ngf=8, norm=instance, n_blocks=6) — 36 keys:
//   model.1.weight [8, 1, 7, 7]            model.1.bias [8]
//   model.4.weight [16, 8, 3, 3]           model.4.bias [16]
//   model.7.weight [32, 16, 3, 3]          model.7.bias [32]
//   model.{10…15}.conv_block.1.weight [32, 32, 3, 3]   model.{10…15}.conv_block.1.bias [32]
//   model.{10…15}.conv_block.5.weight [32, 32, 3, 3]   model.{10…15}.conv_block.5.bias [32]
//   model.16.weight [32, 16, 3, 3] (ConvTranspose2d: [in, out, k, k])   model.16.bias [16]
//   model.19.weight [16, 8, 3, 3]          model.19.bias [8]
//   model.23.weight [1, 8, 7, 7]           model.23.bias [1]
//
// NLayerDiscriminator(input_nc=1, ndf=8, n_layers=3, norm=instance) — 10 keys:
//   model.0.weight [8, 1, 4, 4]    model.0.bias [8]
//   model.2.weight [16, 8, 4, 4]   model.2.bias [16]
//   model.5.weight [32, 16, 4, 4]  model.5.bias [32]
//   model.8.weight [64, 32, 4, 4]  model.8.bias [64]
//   model.11.weight [1, 64, 4, 4]  model.11.bias [1]
//
// UnetGenerator(input_nc=1, output_nc=1, num_downs=7, ngf=8, norm=instance) — 28 keys (P = "model.model.1.model"):
//   model.model.0.weight [8, 1, 4, 4]            model.model.0.bias [8]
//   P.1.weight [16, 8, 4, 4]                     P.1.bias [16]
//   P.3.model.1.weight [32, 16, 4, 4]            P.3.model.1.bias [32]
//   P.3.model.3.model.1.weight [64, 32, 4, 4]    P.3.model.3.model.1.bias [64]
//   P.3.model.3.model.3.model.1.weight [64, 64, 4, 4]           (…bias [64])
//   P.3.model.3.model.3.model.3.model.1.weight [64, 64, 4, 4]   (…bias [64])
//   P.3.model.3.model.3.model.3.model.3.model.1.weight [64, 64, 4, 4]   (innermost down; …bias [64])
//   P.3.model.3.model.3.model.3.model.3.model.3.weight [64, 64, 4, 4]   (innermost up, ConvTranspose2d; …bias [64])
//   P.3.model.3.model.3.model.3.model.5.weight [128, 64, 4, 4]  (…bias [64])
//   P.3.model.3.model.3.model.5.weight [128, 64, 4, 4]          (…bias [64])
//   P.3.model.3.model.5.weight [128, 32, 4, 4]   P.3.model.3.model.5.bias [32]
//   P.3.model.5.weight [64, 16, 4, 4]            P.3.model.5.bias [16]
//   P.5.weight [32, 8, 4, 4]                     P.5.bias [8]
//   model.model.3.weight [16, 1, 4, 4]           model.model.3.bias [1]
// (Keys are listed by PyTorch parent-first: a level's down conv, then its submodule's keys, then its up conv.)
import MedTestSupport
import MedCore
import MedTensor
import Testing
@testable import MedNN

@Suite struct NetworkKeyTests {
    /// (key, shape) pairs of a module's state dict in order.
    private func entries(_ module: Module) -> [(String, [Int])] {
        module.orderedStateDict().map { ($0.key, $0.value.shape) }
    }

    private func expectEntries(_ module: Module, _ expected: [(String, [Int])],
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let actual = entries(module)
        #expect(actual.map(\.0) == expected.map(\.0), sourceLocation: sourceLocation)
        #expect(actual.map(\.1) == expected.map(\.1), sourceLocation: sourceLocation)
    }

    @Test func resnetGeneratorKeysMatchTheReference() {
        var g = SeededGenerator(seed: 10)
        let net = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 8, blocks: 6),
                                  generator: &g)
        var expected: [(String, [Int])] = [
            ("model.1.weight", [8, 1, 7, 7]), ("model.1.bias", [8]),
            ("model.4.weight", [16, 8, 3, 3]), ("model.4.bias", [16]),
            ("model.7.weight", [32, 16, 3, 3]), ("model.7.bias", [32]),
        ]
        for b in 10...15 {
            expected += [("model.\(b).conv_block.1.weight", [32, 32, 3, 3]), ("model.\(b).conv_block.1.bias", [32]),
                         ("model.\(b).conv_block.5.weight", [32, 32, 3, 3]), ("model.\(b).conv_block.5.bias", [32])]
        }
        expected += [("model.16.weight", [32, 16, 3, 3]), ("model.16.bias", [16]),
                     ("model.19.weight", [16, 8, 3, 3]), ("model.19.bias", [8]),
                     ("model.23.weight", [1, 8, 7, 7]), ("model.23.bias", [1])]
        #expect(expected.count == 36)
        expectEntries(net, expected)
        #expect(net.namedBuffers().isEmpty)
    }

    @Test func resnetGeneratorWithBatchNormAndNineBlocks() {
        var g = SeededGenerator(seed: 11)
        let net = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 2, outputChannels: 3, filters: 4, norm: .batch,
                                                        useDropout: true, blocks: 9), generator: &g)
        let keys = net.orderedStateDict().map(\.key)
        // Batch norm: no conv biases except the last conv; norm at 2, 5, 8; dropout shifts the second block conv to 6.
        #expect(Array(keys.prefix(7)) == ["model.1.weight", "model.2.weight", "model.2.bias", "model.2.running_mean",
                                          "model.2.running_var", "model.2.num_batches_tracked", "model.4.weight"])
        #expect(keys.contains("model.18.conv_block.6.weight") && keys.contains("model.18.conv_block.7.running_var"))
        #expect(!keys.contains("model.10.conv_block.1.bias"))
        #expect(keys.contains("model.19.weight") && keys.contains("model.22.weight") && keys.contains("model.26.bias"))
        #expect(keys.last == "model.26.bias")
        #expect(net.stateDict()["model.26.weight"]?.shape == [3, 4, 7, 7])
    }

    @Test func resnetGeneratorWithZeroPaddingAndNoNorm() {
        var g = SeededGenerator(seed: 12)
        let net = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 1, filters: 4, norm: .none,
                                                        blocks: 1, paddingMode: .zero), generator: &g)
        // The reference's 'none' norm is not the InstanceNorm2d partial, so its convolutions have no bias.
        #expect(net.orderedStateDict().map(\.key) == ["model.1.weight", "model.4.weight", "model.7.weight",
                                                      "model.10.conv_block.0.weight", "model.10.conv_block.3.weight",
                                                      "model.11.weight", "model.14.weight", "model.18.weight",
                                                      "model.18.bias"])
    }

    @Test func nLayerDiscriminatorKeysMatchTheReference() {
        var g = SeededGenerator(seed: 13)
        let net = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 8), generator: &g)
        expectEntries(net, [("model.0.weight", [8, 1, 4, 4]), ("model.0.bias", [8]),
                            ("model.2.weight", [16, 8, 4, 4]), ("model.2.bias", [16]),
                            ("model.5.weight", [32, 16, 4, 4]), ("model.5.bias", [32]),
                            ("model.8.weight", [64, 32, 4, 4]), ("model.8.bias", [64]),
                            ("model.11.weight", [1, 64, 4, 4]), ("model.11.bias", [1])])
        let batch = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 2, filters: 4, layers: 5, norm: .batch),
                                        generator: &g)
        let state = batch.stateDict()
        // Multipliers min(2ⁿ, 8): 1, 2, 4, 8, 8, then 8 for the stride-1 layer.
        #expect(state["model.11.weight"]?.shape == [32, 32, 4, 4])
        #expect(state["model.14.weight"]?.shape == [32, 32, 4, 4])
        #expect(state["model.15.running_mean"]?.shape == [32])
        #expect(state["model.17.weight"]?.shape == [1, 32, 4, 4] && state["model.17.bias"]?.shape == [1])
        #expect(state["model.2.bias"] == nil)
    }

    @Test func unetGeneratorKeysMatchTheReference() {
        var g = SeededGenerator(seed: 14)
        let net = UnetGenerator(UnetGeneratorConfig(inputChannels: 1, outputChannels: 1, downsamplings: 7, filters: 8),
                                generator: &g)
        let p = "model.model.1.model"
        let l3 = p + ".3.model.3.model", l4 = l3 + ".3.model", l5 = l4 + ".3.model", l6 = l5 + ".3.model"
        expectEntries(net, [
            ("model.model.0.weight", [8, 1, 4, 4]), ("model.model.0.bias", [8]),
            (p + ".1.weight", [16, 8, 4, 4]), (p + ".1.bias", [16]),
            (p + ".3.model.1.weight", [32, 16, 4, 4]), (p + ".3.model.1.bias", [32]),
            (l3 + ".1.weight", [64, 32, 4, 4]), (l3 + ".1.bias", [64]),
            (l4 + ".1.weight", [64, 64, 4, 4]), (l4 + ".1.bias", [64]),
            (l5 + ".1.weight", [64, 64, 4, 4]), (l5 + ".1.bias", [64]),
            (l6 + ".1.weight", [64, 64, 4, 4]), (l6 + ".1.bias", [64]),
            (l6 + ".3.weight", [64, 64, 4, 4]), (l6 + ".3.bias", [64]),
            (l5 + ".5.weight", [128, 64, 4, 4]), (l5 + ".5.bias", [64]),
            (l4 + ".5.weight", [128, 64, 4, 4]), (l4 + ".5.bias", [64]),
            (l3 + ".5.weight", [128, 32, 4, 4]), (l3 + ".5.bias", [32]),
            (p + ".3.model.5.weight", [64, 16, 4, 4]), (p + ".3.model.5.bias", [16]),
            (p + ".5.weight", [32, 8, 4, 4]), (p + ".5.bias", [8]),
            ("model.model.3.weight", [16, 1, 4, 4]), ("model.model.3.bias", [1]),
        ])
    }

    @Test func unetGeneratorWithBatchNormAndDropout() {
        var g = SeededGenerator(seed: 15)
        let net = UnetGenerator(UnetGeneratorConfig(inputChannels: 3, outputChannels: 3, downsamplings: 6, filters: 2,
                                                    norm: .batch, useDropout: true), generator: &g)
        let state = net.stateDict()
        #expect(state["model.model.0.bias"] == nil && state["model.model.3.bias"]?.shape == [3])
        #expect(state["model.model.1.model.2.running_var"]?.shape == [4])
        #expect(state["model.model.1.model.6.weight"]?.shape == [2])
        #expect(state["model.model.1.model.1.bias"] == nil)
        // The one intermediate ngf·8 level (index 3 below three levels) has dropout at index 7: no keys.
        let innermost = "model.model.1.model.3.model.3.model.3.model.3.model"
        #expect(state[innermost + ".4.num_batches_tracked"]?.shape == [])
        #expect(state[innermost + ".2.weight"] == nil)
    }

    @Test func pixelDiscriminatorKeys() {
        var g = SeededGenerator(seed: 16)
        let net = PixelDiscriminator(inputChannels: 2, filters: 4, generator: &g)
        #expect(net.orderedStateDict().map(\.key) == ["net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias",
                                                      "net.5.weight", "net.5.bias"])
        #expect(net.stateDict()["net.5.weight"]?.shape == [1, 8, 1, 1])
    }

    @Test func outputShapes() {
        var g = SeededGenerator(seed: 17)
        let x = randomTensor([2, 1, 32, 32], seed: 18)
        let resnet = ResnetGenerator(ResnetGeneratorConfig(inputChannels: 1, outputChannels: 2, filters: 4, blocks: 2),
                                     generator: &g)
        let y = resnet(x)
        #expect(y.shape == [2, 2, 32, 32])
        #expect(y.scalars.allSatisfy { Swift.abs($0) < 1 })
        let unet = UnetGenerator(UnetGeneratorConfig(inputChannels: 1, outputChannels: 1, downsamplings: 5, filters: 2),
                                 generator: &g)
        #expect(unet(x).shape == [2, 1, 32, 32])
        let patch = NLayerDiscriminator(NLayerDiscriminatorConfig(inputChannels: 1, filters: 4), generator: &g)
        // 32 → 16 → 8 → 4 → 3 → 2 (the 70×70 PatchGAN gives 30×30 for 256×256).
        #expect(patch(x).shape == [2, 1, 2, 2])
        let pixel = PixelDiscriminator(inputChannels: 1, filters: 4, generator: &g)
        #expect(pixel(x).shape == [2, 1, 32, 32])
        let seg2 = UNetSegmenter(UNetSegmenterConfig(inputChannels: 1, classes: 3, depth: 2, baseWidth: 4), generator: &g)
        #expect(seg2(x).shape == [2, 3, 32, 32])
        let seg3 = UNetSegmenter(UNetSegmenterConfig(spatialRank: 3, inputChannels: 2, classes: 2, depth: 2, baseWidth: 2,
                                                     norm: .batch), generator: &g)
        #expect(seg3(randomTensor([1, 2, 8, 8, 8], seed: 19)).shape == [1, 2, 8, 8, 8])
        #expect(seg3.stateDict()["encoders.1.4.running_mean"]?.shape == [4])
        #expect(seg3.stateDict()["upsamplers.1.weight"]?.shape == [8, 4, 2, 2, 2])
        #expect(seg3.stateDict()["decoders.0.0.weight"]?.shape == [2, 4, 3, 3, 3])
        #expect(seg3.stateDict()["head.weight"]?.shape == [2, 2, 1, 1, 1])
        #expect(seg3.stateDict()["bottleneck.3.weight"]?.shape == [8, 8, 3, 3, 3])
    }

    @Test func unetSkipUsesTheActivatedInputLikeTheReference() {
        // The reference's in-place LeakyReLU means the skip carries lrelu(x): the first channels of a non-outermost
        // level's output equal lrelu(x).
        var g = SeededGenerator(seed: 20)
        let block = UnetSkipConnectionBlock(outerChannels: 2, innerChannels: 4, submodule: nil, norm: .instance,
                                            generator: &g)
        let x = randomTensor([1, 2, 4, 4], seed: 21)
        let y = block(x)
        #expect(y.shape == [1, 4, 4, 4])
        #expect(y.sliced(axis: 1, 0..<2).scalars == x.leakyRelu(slope: 0.2).scalars)
    }

    @Test func sequentialFusionMatchesUnfusedLayers() {
        let x = randomTensor([2, 3, 5, 5], seed: 22)
        let norm = InstanceNorm(channels: 3, affine: true)
        norm.weight!.value = Tensor([0.5, 2, -1])
        let fused = Sequential([norm, LeakyReLU(negativeSlope: 0.2)])
        expectClose(fused(x).scalars, norm(x).leakyRelu(slope: 0.2).scalars, rtol: 1e-5, atol: 1e-6)
        let batch = BatchNorm(channels: 3)
        let s = Sequential([batch, ReLU()])
        let reference = BatchNorm(channels: 3)
        expectClose(s(x).scalars, reference(x).relu().scalars, rtol: 1e-5, atol: 1e-6)
        expectClose(batch.runningMean.value.scalars, reference.runningMean.value.scalars, rtol: 1e-5, atol: 1e-6)
    }
}
