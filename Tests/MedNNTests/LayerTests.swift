import MedCore
import MedTensor
import MedTestSupport
import Testing
@testable import MedNN

@Suite struct LayerTests {
    @Test func convolutionLayersCallTheirOps() {
        var g = SeededGenerator(seed: 70)
        let x = randomTensor([2, 3, 6, 6], seed: 71)
        let conv = Conv(inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 2, padding: 1, generator: &g)
        #expect(conv.weight.shape == [4, 3, 3, 3] && conv.bias?.shape == [4])
        #expect(conv(x).scalars == x.conv2d(weight: conv.weight.value, bias: conv.bias!.value, stride: 2, padding: 1).scalars)
        let up = ConvTranspose(inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1,
                               outputPadding: 1, bias: false, generator: &g)
        #expect(up.weight.shape == [3, 2, 3, 3] && up.bias == nil)
        #expect(up(x).shape == [2, 2, 12, 12])
        let v = randomTensor([1, 2, 4, 4, 4], seed: 72)
        let conv3 = Conv(spatialRank: 3, inputChannels: 2, outputChannels: 3, kernelSize: 3, padding: 1, generator: &g)
        #expect(conv3.weight.shape == [3, 2, 3, 3, 3] && conv3(v).shape == [1, 3, 4, 4, 4])
        let up3 = ConvTranspose(spatialRank: 3, inputChannels: 2, outputChannels: 1, kernelSize: 2, stride: 2, generator: &g)
        #expect(up3.weight.shape == [2, 1, 2, 2, 2] && up3(v).shape == [1, 1, 8, 8, 8])
        // PyTorch's default init bound 1/√fan_in.
        #expect(conv.weight.value.scalars.allSatisfy { Swift.abs($0) <= 1 / Float(27).squareRoot() })
    }

    @Test func linearComputesXWTransposedPlusB() {
        var g = SeededGenerator(seed: 73)
        let layer = Linear(inputFeatures: 2, outputFeatures: 2, generator: &g)
        layer.weight.value = Tensor([1, 2, 3, 4], shape: [2, 2])
        layer.bias!.value = Tensor([0.5, -1])
        let y = layer(Tensor([1, 1, 2, 0, 0, 1], shape: [3, 2]))
        #expect(y.shape == [3, 2] && y.scalars == [3.5, 6, 2.5, 5, 2.5, 3])
        #expect(layer(Tensor([1, 0, 0, 1], shape: [2, 1, 2])).shape == [2, 1, 2])
    }

    @Test func batchNormTrainsAndEvaluates() {
        let bn = BatchNorm(channels: 2, momentum: 0.5)
        let x = Tensor([1, 3, 10, 20, 5, 7, 30, 40], shape: [2, 2, 2, 1])  // channel 0: 1, 3, 5, 7; channel 1: 10, 20, 30, 40
        let y = bn(x)
        // Channel 0: mean 4, biased variance 5; running mean 0.5·4 = 2, running var 0.5·1 + 0.5·(20/3).
        #expect(Swift.abs(y[0, 0, 0, 0] - (1 - 4) / (5 + 1e-5).squareRoot()) < 1e-5)
        expectClose(bn.runningMean.value.scalars, [2, 12.5], rtol: 1e-5, atol: 1e-6)
        expectClose(bn.runningVar.value.scalars, [0.5 + 0.5 * 20 / 3, 0.5 + 0.5 * 500 / 3], rtol: 1e-5, atol: 1e-6)
        #expect(bn.numBatchesTracked.value.item == 1)
        bn.eval()
        let z = bn(x)
        #expect(Swift.abs(z[0, 0, 0, 0] - (1 - 2) / (bn.runningVar.value.scalars[0] + 1e-5).squareRoot()) < 1e-5)
        #expect(bn.numBatchesTracked.value.item == 1)
        expectClose(bn.runningMean.value.scalars, [2, 12.5], rtol: 1e-5, atol: 1e-6)
    }

    @Test func instanceNormIsTheSameInBothModes() {
        let norm = InstanceNorm(channels: 2)
        let x = randomTensor([2, 2, 3, 3], seed: 74)
        let a = norm(x).scalars
        norm.eval()
        #expect(norm(x).scalars == a)
        #expect(norm.namedParameters().isEmpty)
        #expect(InstanceNorm(channels: 3, spatialRank: 3, affine: true).namedParameters().map(\.key) == ["weight", "bias"])
    }

    @Test func dropoutDropsOnlyInTraining() {
        var g = SeededGenerator(seed: 75)
        let dropout = Dropout(probability: 0.5, generator: &g)
        let x = Tensor.ones([1000])
        let y = dropout(x).scalars
        #expect(y.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = y.filter { $0 == 2 }.count
        #expect(kept > 430 && kept < 570)
        dropout.eval()
        #expect(dropout(x).scalars == x.scalars)
    }

    @Test func paddingUpsamplingPoolingAndActivations() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])
        #expect(Pad2d(1, mode: .zero)(x).shape == [1, 1, 4, 4])
        #expect(Pad2d(left: 1, right: 0, top: 0, bottom: 0, mode: .replicate)(x).scalars == [1, 1, 2, 3, 3, 4])
        #expect(Pad2d(1, mode: .reflect)(x)[0, 0, 0, 0] == 4)
        #expect(Upsample(scaleFactor: 2)(x).scalars == [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
        #expect(Upsample(scaleFactor: 2, mode: .linear)(x).shape == [1, 1, 4, 4])
        #expect(Upsample(scaleFactor: 2)(Tensor.ones([1, 1, 1, 2, 2])).shape == [1, 1, 2, 4, 4])
        #expect(MaxPool(kernelSize: 2)(x).scalars == [4])
        #expect(MaxPool(spatialRank: 3, kernelSize: 2)(Tensor.ones([1, 1, 2, 2, 2])).shape == [1, 1, 1, 1, 1])
        let v = Tensor([-2, 0.5])
        #expect(ReLU()(v).scalars == [0, 0.5])
        #expect(LeakyReLU(negativeSlope: 0.2)(v).scalars == [-0.4, 0.5])
        #expect(Tanh()(v).scalars == v.tanh().scalars && Sigmoid()(v).scalars == v.sigmoid().scalars)
        #expect(Identity()(v).scalars == v.scalars)
        #expect(Sequential([ReLU(), Tanh()])(v).scalars == v.relu().tanh().scalars)
    }

    @Test func gradientsReachLayerParameters() {
        var g = SeededGenerator(seed: 76)
        let net = Sequential([
            Conv(inputChannels: 1, outputChannels: 2, kernelSize: 3, padding: 1, generator: &g),
            InstanceNorm(channels: 2, affine: true), LeakyReLU(negativeSlope: 0.2),
            ConvTranspose(inputChannels: 2, outputChannels: 1, kernelSize: 2, stride: 2, generator: &g),
        ])
        mseLoss(net(randomTensor([1, 1, 4, 4], seed: 77)), Tensor.zeros([1, 1, 8, 8])).backward()
        #expect(net.namedParameters().map(\.key) == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"])
        #expect(net.parameters().allSatisfy { $0.grad?.shape == $0.shape })
    }
}
