import Foundation
import MedCore

/// One convolution layer shape to time (`medsynth bench conv`).
public struct ConvLayerShape: Codable, Equatable, Sendable, CustomStringConvertible {
    public let name: String
    public let batch: Int, inChannels: Int, outChannels: Int
    /// Spatial extents of the input, 2 (H, W) or 3 (D, H, W).
    public let size: [Int]
    public let kernel: Int, stride: Int, padding: Int

    public init(name: String, batch: Int, inChannels: Int, outChannels: Int, size: [Int], kernel: Int, stride: Int = 1,
                padding: Int) {
        (self.name, self.batch, self.inChannels, self.outChannels) = (name, batch, inChannels, outChannels)
        (self.size, self.kernel, self.stride, self.padding) = (size, kernel, stride, padding)
    }

    public var description: String {
        "\(name): \(batch)×\(inChannels)×\(size.map(String.init).joined(separator: "×")) → \(outChannels) ch, k\(kernel) s\(stride) p\(padding)"
    }

    var geometry: ConvGeometry {
        let s = [Int](repeating: 1, count: 3 - size.count) + size
        let threeD = size.count == 3
        return ConvGeometry(channels: inChannels, depth: s[0], height: s[1], width: s[2],
                            kernelD: threeD ? kernel : 1, kernelH: kernel, kernelW: kernel,
                            strideD: threeD ? stride : 1, strideH: stride, strideW: stride,
                            padD: threeD ? padding : 0, padH: padding, padW: padding)
    }

    /// Multiply-adds counted as 2 FLOPs (as PyTorch's FlopCounterMode): the same for all three passes.
    public var flops: Double {
        let g = geometry
        return 2 * Double(batch) * Double(outChannels) * Double(g.columnRows) * Double(g.columnCount)
    }

    /// The layer shapes of the standard networks: the ResNet CycleGAN generator at 256 px (ngf 64), the 2-D U-Net
    /// segmenter (64², batch 8, width 16) and the 3-D one (64³, batch 2, width 8).
    public static let standard: [ConvLayerShape] = [
        ConvLayerShape(name: "resnet256.stem", batch: 1, inChannels: 1, outChannels: 64, size: [256, 256], kernel: 7, padding: 3),
        ConvLayerShape(name: "resnet256.out", batch: 1, inChannels: 64, outChannels: 1, size: [256, 256], kernel: 7, padding: 3),
        ConvLayerShape(name: "resnet256.down1", batch: 1, inChannels: 64, outChannels: 128, size: [256, 256], kernel: 3, stride: 2, padding: 1),
        ConvLayerShape(name: "resnet256.down2", batch: 1, inChannels: 128, outChannels: 256, size: [128, 128], kernel: 3, stride: 2, padding: 1),
        ConvLayerShape(name: "resnet256.block", batch: 1, inChannels: 256, outChannels: 256, size: [64, 64], kernel: 3, padding: 1),
        ConvLayerShape(name: "resnet128.block", batch: 1, inChannels: 256, outChannels: 256, size: [32, 32], kernel: 3, padding: 1),
        ConvLayerShape(name: "patchgan256.c64", batch: 1, inChannels: 64, outChannels: 128, size: [128, 128], kernel: 4, stride: 2, padding: 1),
        ConvLayerShape(name: "unet2d.in", batch: 8, inChannels: 1, outChannels: 16, size: [64, 64], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet2d.l0", batch: 8, inChannels: 16, outChannels: 16, size: [64, 64], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet2d.l1", batch: 8, inChannels: 32, outChannels: 32, size: [32, 32], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet2d.l2", batch: 8, inChannels: 64, outChannels: 64, size: [16, 16], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet3d.in", batch: 2, inChannels: 1, outChannels: 8, size: [64, 64, 64], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet3d.l0", batch: 2, inChannels: 8, outChannels: 8, size: [64, 64, 64], kernel: 3, padding: 1),
        ConvLayerShape(name: "unet3d.l1", batch: 2, inChannels: 16, outChannels: 16, size: [32, 32, 32], kernel: 3, padding: 1),
        // The transposed convolutions, written as the convolutions whose adjoints they are (their forward pass is
        // this shape's backward-data): the generator's first upsampler (256 → 128 channels, 64² → 128²) and the
        // U-Nets' first (32 → 16 channels, 32² → 64²; 16 → 8, 32³ → 64³).
        ConvLayerShape(name: "resnet256.up1", batch: 1, inChannels: 128, outChannels: 256, size: [128, 128], kernel: 3, stride: 2, padding: 1),
        ConvLayerShape(name: "unet2d.up0", batch: 8, inChannels: 16, outChannels: 32, size: [64, 64], kernel: 2, stride: 2, padding: 0),
        ConvLayerShape(name: "unet3d.up0", batch: 2, inChannels: 8, outChannels: 16, size: [64, 64, 64], kernel: 2, stride: 2, padding: 0),
    ]
}

/// The time of one pass of one layer shape under one backend.
public struct ConvLayerTiming: Codable, Sendable {
    public let layer: String
    public let pass: String
    public let backend: String
    /// oneDNN's implementation name ("jit:avx512_core", …), "im2col+sgemm", or "im2col+sgemm (oneDNN declined)".
    public let implementation: String
    public let millisecondsMedian: Double
    public let millisecondsMin: Double
    public let millisecondsMax: Double
    public let gflopsPerSecond: Double
}

/// Times the three convolution kernels (forward, backward-data, backward-weights) per layer shape and backend,
/// on random inputs, after three untimed calls (the first builds oneDNN's plan; the next ones start OpenMP's
/// team and fault in the working memory).
public enum ConvolutionBenchmark {
    public static let passes = ["forward", "backward-data", "backward-weights"]

    public static func run(_ shape: ConvLayerShape, backend: ConvBackend, repeats: Int, seed: UInt64 = 0)
        -> [ConvLayerTiming] {
        let g = shape.geometry, n = shape.batch, k = shape.outChannels
        var rng = SeededGenerator(seed: seed)
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -1..<1, using: &rng) } }
        let x = random(n * g.imageSize), w = random(k * g.columnRows), gy = random(n * k * g.columnCount)
        let bias = random(k)
        var y = [Float](repeating: 0, count: gy.count), gx = [Float](repeating: 0, count: x.count)
        var gw = [Float](repeating: 0, count: w.count)
        var timings: [ConvLayerTiming] = []
        for pass in passes {
            let call: () -> Void
            switch pass {
            case "forward":
                call = { ConvKernel.forward(x, batch: n, g, weight: w, outChannels: k, bias: bias, &y, backend: backend) }
            case "backward-data":
                call = { ConvKernel.backwardData(gy, batch: n, g, weight: w, outChannels: k, &gx, backend: backend) }
            default:
                call = { ConvKernel.backwardWeight(x, gy, batch: n, g, outChannels: k, &gw, backend: backend) }
            }
            for _ in 0..<3 { call() }
            var ms: [Double] = []
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                call()
                ms.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            ms.sort()
            let median = ms.count % 2 == 1 ? ms[ms.count / 2] : (ms[ms.count / 2 - 1] + ms[ms.count / 2]) / 2
            let dnnlPass: DNNLConvolution.Pass = pass == "forward" ? .forward(bias: true)
                : pass == "backward-data" ? .backwardData : .backwardWeights
            let implementation = backend == .im2col ? "im2col+sgemm"
                : DNNLConvolution.implementation(g, batch: n, outChannels: k, pass: dnnlPass)
                    ?? "im2col+sgemm (oneDNN declined)"
            timings.append(ConvLayerTiming(layer: shape.name, pass: pass, backend: backend.rawValue,
                                           implementation: implementation, millisecondsMedian: median,
                                           millisecondsMin: ms.first!, millisecondsMax: ms.last!,
                                           gflopsPerSecond: shape.flops / (median * 1e6)))
        }
        return timings
    }
}
