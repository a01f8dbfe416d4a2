import MedTensor

/// Upsampling of images or volumes by an integer factor (PyTorch's `Upsample(scale_factor=…)`).
public final class Upsample: Module, UnaryLayer {
    /// How new values are interpolated.
    public enum Mode: String, Sendable, Codable {
        /// Nearest neighbour.
        case nearest
        /// Bilinear (images) or trilinear (volumes), `align_corners=False`.
        case linear
    }

    /// The integer factor applied to every spatial extent.
    public let scaleFactor: Int
    /// The interpolation.
    public let mode: Mode

    /// Creates an upsampling layer.
    /// - Parameters:
    ///   - scaleFactor: ≥ 1.
    ///   - mode: nearest (PyTorch's default) or (bi/tri)linear.
    public init(scaleFactor: Int, mode: Mode = .nearest) {
        precondition(scaleFactor >= 1, "Upsample scale factor \(scaleFactor) must be ≥ 1")
        self.scaleFactor = scaleFactor
        self.mode = mode
    }

    /// x [N, C, spatial×2 or ×3] -> each spatial extent times `scaleFactor`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 || x.rank == 5, "Upsample expects [N, C, H, W] or [N, C, D, H, W], got \(x.shape)")
        let size = x.shape[2...].map { $0 * scaleFactor }
        switch (mode, x.rank) {
        case (.nearest, 4): return x.resizedNearest(height: size[0], width: size[1])
        case (.nearest, _): return x.resizedNearest(depth: size[0], height: size[1], width: size[2])
        case (.linear, 4): return x.resizedBilinear(height: size[0], width: size[1])
        case (.linear, _): return x.resizedTrilinear(depth: size[0], height: size[1], width: size[2])
        }
    }
}
