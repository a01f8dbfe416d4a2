// Convolution ops with their backward rules: conv2d/conv3d and their adjoints, the transposed convolutions.
// 2-D and 3-D share one implementation (2-D is depth 1). Kernels: Kernels/ConvKernels.swift (im2col + sgemm)
// and Kernels/Im2col.swift.

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
        convolution("conv2d", spatialRank: 2, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// The 3-D convolution of an NCDHW batch (PyTorch's `Conv3d`; dilation 1, groups 1): `conv2d` with a depth
    /// dimension, the same stride and padding in all three directions.
    /// - Parameters:
    ///   - weight: [K, C, kd, kh, kw].
    ///   - bias: [K], or nil for none.
    ///   - stride: the window step, ≥ 1.
    ///   - padding: zeros added on every side, ≥ 0.
    /// - Returns: [N, K, OD, OH, OW] with OD = (D + 2·padding − kd) / stride + 1 (likewise OH, OW).
    public func conv3d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        convolution("conv3d", spatialRank: 3, weight: weight, bias: bias, stride: stride, padding: padding)
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
        transposedConvolution("convTranspose2d", spatialRank: 2, weight: weight, bias: bias, stride: stride,
                              padding: padding, outputPadding: outputPadding)
    }

    /// The 3-D transposed convolution of an NCDHW batch (PyTorch's `ConvTranspose3d`): the adjoint of `conv3d`.
    /// - Parameters:
    ///   - weight: [Cin, Cout, kd, kh, kw].
    ///   - bias: [Cout], or nil for none.
    ///   - stride: the upsampling step, ≥ 1.
    ///   - padding: removed from every side of the full output, ≥ 0.
    ///   - outputPadding: added at the far end of each spatial dimension, 0 ≤ outputPadding < stride.
    /// - Returns: [N, Cout, OD, OH, OW] with OD = (D − 1)·stride − 2·padding + kd + outputPadding (likewise OH, OW).
    public func convTranspose3d(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                                outputPadding: Int = 0) -> Tensor {
        transposedConvolution("convTranspose3d", spatialRank: 3, weight: weight, bias: bias, stride: stride,
                              padding: padding, outputPadding: outputPadding)
    }

    // MARK: - Shared implementation

    /// The geometry of a convolution over `image` (spatial extents `size`, 2 or 3 of them) with `kernel`.
    private static func geometry(channels: Int, size: [Int], kernel: [Int], stride: Int, padding: Int) -> ConvGeometry {
        let s = [Int](repeating: 1, count: 3 - size.count) + size
        let k = [Int](repeating: 1, count: 3 - kernel.count) + kernel
        let depthStride = size.count == 3 ? stride : 1, depthPad = size.count == 3 ? padding : 0
        return ConvGeometry(channels: channels, depth: s[0], height: s[1], width: s[2], kernelD: k[0], kernelH: k[1],
                            kernelW: k[2], strideD: depthStride, strideH: stride, strideW: stride,
                            padD: depthPad, padH: padding, padW: padding)
    }

    /// conv2d / conv3d: x [N, C, spatial…], weight [K, C, kernel…] -> [N, K, out…].
    private func convolution(_ op: String, spatialRank: Int, weight: Tensor, bias: Tensor?, stride: Int,
                             padding: Int) -> Tensor {
        precondition(rank == spatialRank + 2 && weight.rank == rank && weight.shape[1] == shape[1],
                     "\(op) needs x [N, C, spatial×\(spatialRank)] and weight [K, C, kernel×\(spatialRank)], got \(shape) and \(weight.shape)")
        let (batch, k) = (shape[0], weight.shape[0])
        precondition(bias == nil || bias!.shape == [k], "\(op) bias must be [\(k)], got \(bias!.shape)")
        precondition(stride >= 1 && padding >= 0, "\(op) stride \(stride) must be ≥ 1 and padding \(padding) ≥ 0")
        let size = Array(shape[2...]), kernel = Array(weight.shape[2...])
        precondition(zip(size, kernel).allSatisfy { $0 + 2 * padding >= $1 },
                     "\(op) kernel \(kernel) is larger than the padded input \(shape)")
        let g = Tensor.geometry(channels: shape[1], size: size, kernel: kernel, stride: stride, padding: padding)
        let outSize = Array([g.outDepth, g.outHeight, g.outWidth].suffix(spatialRank))
        let y = Tensor(uninitializedShape: [batch, k] + outSize)
        ConvKernel.forward(storage.pointer, batch: batch, g, weight: weight.storage.pointer, outChannels: k,
                           bias: bias?.storage.pointer, y.storage.pointer)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        let spatialAxes = Array(2..<rank)
        let (x, xShape, wShape) = (self, shape, weight.shape)
        // One rule for backward() and for second order: the adjoints of ConvolutionAdjoints.swift run the
        // backward kernels and, when tracking is on, are recorded ops themselves.
        return withExtendedLifetime((self, weight, bias)) { y }.recordedDifferentiably(op, from: inputs) { gy, needs in
            let grads = [needs[0] ? Tensor.convolutionData(gy, weight: weight, geometry: g, inputShape: xShape) : nil,
                         needs[1] ? Tensor.convolutionWeight(x, gy, geometry: g, weightShape: wShape) : nil]
            return inputs.count == 3 ? grads + [needs[2] ? gy.sum(axes: [0] + spatialAxes) : nil] : grads
        }
    }

    /// convTranspose2d / convTranspose3d: x [N, Cin, spatial…], weight [Cin, Cout, kernel…] -> [N, Cout, out…].
    private func transposedConvolution(_ op: String, spatialRank: Int, weight: Tensor, bias: Tensor?, stride: Int,
                                       padding: Int, outputPadding: Int) -> Tensor {
        precondition(rank == spatialRank + 2 && weight.rank == rank && weight.shape[0] == shape[1],
                     "\(op) needs x [N, Cin, spatial×\(spatialRank)] and weight [Cin, Cout, kernel×\(spatialRank)], got \(shape) and \(weight.shape)")
        let (batch, cin, cout) = (shape[0], shape[1], weight.shape[1])
        precondition(bias == nil || bias!.shape == [cout], "\(op) bias must be [\(cout)], got \(bias!.shape)")
        precondition(stride >= 1 && padding >= 0 && outputPadding >= 0 && outputPadding < stride,
                     "\(op) needs stride ≥ 1, padding ≥ 0 and 0 ≤ outputPadding < stride; got \(stride), \(padding), \(outputPadding)")
        let size = Array(shape[2...]), kernel = Array(weight.shape[2...])
        let outSize = zip(size, kernel).map { ($0 - 1) * stride - 2 * padding + $1 + outputPadding }
        precondition(outSize.allSatisfy { $0 > 0 }, "\(op) output \(outSize) of input \(shape) is empty")
        // The geometry of the convolution whose adjoint this is: its image is our output, its window grid our input.
        let g = Tensor.geometry(channels: cout, size: outSize, kernel: kernel, stride: stride, padding: padding)
        precondition(Array([g.outDepth, g.outHeight, g.outWidth].suffix(spatialRank)) == size,
                     "\(op) geometry mismatch for input \(shape)")
        let y = Tensor(uninitializedShape: [batch, cout] + outSize)
        ConvKernel.backwardData(storage.pointer, batch: batch, g, weight: weight.storage.pointer, outChannels: cin,
                                y.storage.pointer)
        if let bias {
            ConvKernel.addBias(bias.storage.pointer, to: y.storage.pointer, batch: batch, channels: cout,
                               spatial: outSize.reduce(1, *))
        }
        let (xSaved, wSaved) = (detached(), weight.detached())
        let (needX, needW) = (requiresGrad, weight.requiresGrad)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        let spatialAxes = Array(2..<rank)
        return withExtendedLifetime((self, weight, bias)) { y }.recorded(op, from: inputs) { gy in
            var gx: Tensor?, gw: Tensor?
            if needX {
                // The adjoint of the adjoint is the convolution itself.
                let t = Tensor(uninitializedShape: xSaved.shape)
                ConvKernel.forward(gy.storage.pointer, batch: batch, g, weight: wSaved.storage.pointer,
                                   outChannels: cin, bias: nil, t.storage.pointer)
                gx = t
            }
            if needW {
                // gw [Cin, Cout·k…] = Σₙ x [Cin, in…] · im2col(gy)ᵀ: the convolution's weight gradient, x and gy swapped.
                let t = Tensor(uninitializedShape: wSaved.shape)
                ConvKernel.backwardWeight(gy.storage.pointer, xSaved.storage.pointer, batch: batch, g,
                                          outChannels: cin, t.storage.pointer)
                gw = t
            }
            let grads = withExtendedLifetime((gy, xSaved, wSaved)) { [gx, gw] }
            return inputs.count == 3 ? grads + [gy.sum(axes: [0] + spatialAxes)] : grads
        }
    }
}
