// Convolution ops with their backward rules: conv2d and its adjoint, the transposed convolution.
// Kernels: Kernels/Conv2dKernels.swift (im2col + sgemm) and Kernels/Im2col.swift.

extension Tensor {
    /// The 2-D convolution of an NCHW batch (cross-correlation, as PyTorch's `Conv2d`; dilation 1, groups 1).
    ///
    /// y[n, k, i, j] = bias[k] + Σ_{c, a, b} weight[k, c, a, b] · x[n, c, i·stride − padding + a, j·stride − padding + b],
    /// with zeros outside the image.
    /// - Parameters:
    ///   - weight: [K, C, kh, kw], C matching `self`'s channels.
    ///   - bias: [K], or nil for none.
    ///   - stride: the window step, ≥ 1, in both directions.
    ///   - padding: zeros added on every side, ≥ 0.
    /// - Returns: [N, K, OH, OW] with OH = (H + 2·padding − kh) / stride + 1 (likewise OW).
    public func conv2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[1] == shape[1],
                     "conv2d needs x [N, C, H, W] and weight [K, C, kh, kw], got \(shape) and \(weight.shape)")
        let (batch, k) = (shape[0], weight.shape[0])
        precondition(bias == nil || bias!.shape == [k], "conv2d bias must be [\(k)], got \(bias!.shape)")
        precondition(stride >= 1 && padding >= 0, "conv2d stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
        let g = ConvGeometry(channels: shape[1], height: shape[2], width: shape[3],
                             kernelH: weight.shape[2], kernelW: weight.shape[3],
                             strideH: stride, strideW: stride, padH: padding, padW: padding)
        precondition(shape[2] + 2 * padding >= g.kernelH && shape[3] + 2 * padding >= g.kernelW,
                     "conv2d kernel \(weight.shape[2])×\(weight.shape[3]) is larger than the padded input \(shape)")
        let y = Tensor(uninitializedShape: [batch, k, g.outHeight, g.outWidth])
        Conv2dKernel.forward(storage.pointer, batch: batch, g, weight: weight.storage.pointer, outChannels: k,
                             bias: bias?.storage.pointer, y.storage.pointer)
        let (xSaved, wSaved) = (detached(), weight.detached())
        let (needX, needW) = (requiresGrad, weight.requiresGrad)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return withExtendedLifetime((self, weight, bias)) { y }.recorded("conv2d", from: inputs) { gy in
            var gx: Tensor?, gw: Tensor?
            if needX {
                let t = Tensor(uninitializedShape: xSaved.shape)
                Conv2dKernel.backwardData(gy.storage.pointer, batch: batch, g, weight: wSaved.storage.pointer,
                                          outChannels: k, t.storage.pointer)
                gx = t
            }
            if needW {
                let t = Tensor(uninitializedShape: wSaved.shape)
                Conv2dKernel.backwardWeight(xSaved.storage.pointer, gy.storage.pointer, batch: batch, g,
                                            outChannels: k, t.storage.pointer)
                gw = t
            }
            let grads = withExtendedLifetime((gy, xSaved, wSaved)) { [gx, gw] }
            return inputs.count == 3 ? grads + [gy.sum(axes: [0, 2, 3])] : grads
        }
    }

    /// The 2-D transposed convolution of an NCHW batch (PyTorch's `ConvTranspose2d`; dilation 1, groups 1): the
    /// adjoint of `conv2d` with the same weight, stride and padding, plus a bias.
    /// - Parameters:
    ///   - weight: [Cin, Cout, kh, kw], Cin matching `self`'s channels (PyTorch's layout).
    ///   - bias: [Cout], or nil for none.
    ///   - stride: the upsampling step, ≥ 1.
    ///   - padding: rows and columns removed from every side of the full output, ≥ 0.
    ///   - outputPadding: rows and columns added at the bottom and right, 0 ≤ outputPadding < stride.
    /// - Returns: [N, Cout, OH, OW] with OH = (H − 1)·stride − 2·padding + kh + outputPadding (likewise OW).
    public func convTranspose2d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                outputPadding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4 && weight.shape[0] == shape[1],
                     "convTranspose2d needs x [N, Cin, H, W] and weight [Cin, Cout, kh, kw], got \(shape) and \(weight.shape)")
        let (batch, cin, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (cout, kh, kw) = (weight.shape[1], weight.shape[2], weight.shape[3])
        precondition(bias == nil || bias!.shape == [cout], "convTranspose2d bias must be [\(cout)], got \(bias!.shape)")
        precondition(stride >= 1 && padding >= 0 && outputPadding >= 0 && outputPadding < stride,
                     "convTranspose2d needs stride ≥ 1, padding ≥ 0 and 0 ≤ outputPadding < stride; got \(stride), \(padding), \(outputPadding)")
        let oh = (h - 1) * stride - 2 * padding + kh + outputPadding
        let ow = (w - 1) * stride - 2 * padding + kw + outputPadding
        precondition(oh > 0 && ow > 0, "convTranspose2d output \(oh)×\(ow) of input \(shape) is empty")
        // The geometry of the conv2d whose adjoint this is: its image is our output, its window grid our input.
        let g = ConvGeometry(channels: cout, height: oh, width: ow, kernelH: kh, kernelW: kw,
                             strideH: stride, strideW: stride, padH: padding, padW: padding)
        precondition(g.outHeight == h && g.outWidth == w, "convTranspose2d geometry mismatch for input \(shape)")
        let y = Tensor(uninitializedShape: [batch, cout, oh, ow])
        Conv2dKernel.backwardData(storage.pointer, batch: batch, g, weight: weight.storage.pointer, outChannels: cin,
                                  y.storage.pointer)
        if let bias {
            Conv2dKernel.addBias(bias.storage.pointer, to: y.storage.pointer, batch: batch, channels: cout, spatial: oh * ow)
        }
        let (xSaved, wSaved) = (detached(), weight.detached())
        let (needX, needW) = (requiresGrad, weight.requiresGrad)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return withExtendedLifetime((self, weight, bias)) { y }.recorded("conv_transpose2d", from: inputs) { gy in
            var gx: Tensor?, gw: Tensor?
            if needX {
                // The adjoint of the adjoint is the convolution itself.
                let t = Tensor(uninitializedShape: xSaved.shape)
                Conv2dKernel.forward(gy.storage.pointer, batch: batch, g, weight: wSaved.storage.pointer,
                                     outChannels: cin, bias: nil, t.storage.pointer)
                gx = t
            }
            if needW {
                // gw [Cin, Cout·kh·kw] = Σₙ x [Cin, H·W] · im2col(gy)ᵀ: conv2d's weight gradient with x and gy swapped.
                let t = Tensor(uninitializedShape: wSaved.shape)
                Conv2dKernel.backwardWeight(gy.storage.pointer, xSaved.storage.pointer, batch: batch, g,
                                            outChannels: cin, t.storage.pointer)
                gw = t
            }
            let grads = withExtendedLifetime((gy, xSaved, wSaved)) { [gx, gw] }
            return inputs.count == 3 ? grads + [gy.sum(axes: [0, 2, 3])] : grads
        }
    }
}
