import MedTensor

/// Padding of the last two dimensions (PyTorch's `ReflectionPad2d`, `ReplicationPad2d`, `ZeroPad2d`,
/// chosen by `mode`).
public final class Pad2d: Module, UnaryLayer {
    /// Columns added on the left.
    public let left: Int
    /// Columns added on the right.
    public let right: Int
    /// Rows added on top.
    public let top: Int
    /// Rows added at the bottom.
    public let bottom: Int
    /// How the border is filled.
    public let mode: PaddingMode

    /// Pads every side by `amount`.
    /// - Parameters:
    ///   - amount: pixels added on each side.
    ///   - mode: `.reflect` (`ReflectionPad2d`), `.replicate` (`ReplicationPad2d`) or `.zero` (`ZeroPad2d`).
    public convenience init(_ amount: Int, mode: PaddingMode) {
        self.init(left: amount, right: amount, top: amount, bottom: amount, mode: mode)
    }

    /// Pads each side by its own amount (PyTorch's tuple order: left, right, top, bottom).
    public init(left: Int, right: Int, top: Int, bottom: Int, mode: PaddingMode) {
        precondition(min(left, right, top, bottom) >= 0, "Pad2d amounts must not be negative, got \((left, right, top, bottom))")
        self.left = left
        self.right = right
        self.top = top
        self.bottom = bottom
        self.mode = mode
    }

    /// x […, H, W] -> […, H + top + bottom, W + left + right].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.padded(top: top, bottom: bottom, left: left, right: right, mode: mode)
    }
}
