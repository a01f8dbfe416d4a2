// The convolution and its two adjoints as recorded ops whose gradients are each other, so that convolution
// gradients can be differentiated again (second order, for the WGAN-GP gradient penalty). With A_W the
// convolution of a fixed geometry as a linear map of x:
//
//     apply(x, W)  = A_W x                      gradients: x ← data(gy, W),        W ← weight(x, gy)
//     data(gy, W)  = A_Wᵀ gy   (dL/dx of apply)  gradients: gy ← apply(gz, W),      W ← weight(gz, gy)
//     weight(x, gy) = dL/dW of apply              gradients: x ← data(gy, gV),       gy ← apply(x, gV)
//
// (from ⟨gz, A_Wᵀ gy⟩ = ⟨A_W gz, gy⟩ and ⟨gV, weight(x, gy)⟩ = ⟨apply(x, gV), gy⟩). The kernels are the
// forward/backward ones of Kernels/ConvKernels.swift. `conv2d`/`conv3d` (forward with the bias fused) use `data`
// and `weight` as their backward rule, for `backward()` and second order alike: with tracking off (inside
// `backward()`) they are the plain kernels and record nothing.

extension Tensor {
    /// x [N, C, in…], weight [K, C, kernel…] -> [N, K, out…] for geometry `g` (no bias).
    static func convolutionApply(_ x: Tensor, weight: Tensor, geometry g: ConvGeometry, outputShape: [Int]) -> Tensor {
        let k = weight.shape[0]
        let y = Tensor(uninitializedShape: outputShape)
        ConvKernel.forward(x.storage.pointer, batch: x.shape[0], g, weight: weight.storage.pointer, outChannels: k,
                           bias: nil, y.storage.pointer)
        let (xShape, wShape) = (x.shape, weight.shape)
        return withExtendedLifetime((x, weight)) { y }.recordedDifferentiably("conv_apply", from: [x, weight]) { gy, needs in
            [needs[0] ? convolutionData(gy, weight: weight, geometry: g, inputShape: xShape) : nil,
             needs[1] ? convolutionWeight(x, gy, geometry: g, weightShape: wShape) : nil]
        }
    }

    /// gy [N, K, out…], weight [K, C, kernel…] -> dL/dx [N, C, in…] (`inputShape`) of the convolution of geometry `g`.
    static func convolutionData(_ gy: Tensor, weight: Tensor, geometry g: ConvGeometry, inputShape: [Int]) -> Tensor {
        let gx = Tensor(uninitializedShape: inputShape)
        ConvKernel.backwardData(gy.storage.pointer, batch: gy.shape[0], g, weight: weight.storage.pointer,
                                outChannels: weight.shape[0], gx.storage.pointer)
        let (gyShape, wShape) = (gy.shape, weight.shape)
        return withExtendedLifetime((gy, weight)) { gx }.recordedDifferentiably("conv_data", from: [gy, weight]) { gz, needs in
            [needs[0] ? convolutionApply(gz, weight: weight, geometry: g, outputShape: gyShape) : nil,
             needs[1] ? convolutionWeight(gz, gy, geometry: g, weightShape: wShape) : nil]
        }
    }

    /// x [N, C, in…], gy [N, K, out…] -> dL/dW [K, C, kernel…] (`weightShape`) of the convolution of geometry `g`.
    static func convolutionWeight(_ x: Tensor, _ gy: Tensor, geometry g: ConvGeometry, weightShape: [Int]) -> Tensor {
        let gw = Tensor(uninitializedShape: weightShape)
        ConvKernel.backwardWeight(x.storage.pointer, gy.storage.pointer, batch: x.shape[0], g, outChannels: gy.shape[1],
                                  gw.storage.pointer)
        let (xShape, gyShape) = (x.shape, gy.shape)
        return withExtendedLifetime((x, gy)) { gw }.recordedDifferentiably("conv_weight", from: [x, gy]) { gv, needs in
            [needs[0] ? convolutionData(gy, weight: gv, geometry: g, inputShape: xShape) : nil,
             needs[1] ? convolutionApply(x, weight: gv, geometry: g, outputShape: gyShape) : nil]
        }
    }
}
