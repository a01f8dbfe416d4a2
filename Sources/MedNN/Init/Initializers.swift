import MedCore
import MedTensor

/// Seeded weight initialisers with PyTorch's formulas (`torch.nn.init`). Each draws its values from the
/// generator passed in, in row-major order.
///
/// Fans follow PyTorch's `_calculate_fan_in_and_fan_out` for a weight of shape [d0, d1, k…]:
/// fan_in = d1 · Πk, fan_out = d0 · Πk (for a transposed convolution's [in, out, k…] weight this makes
/// fan_in the *output* channels, as in PyTorch).
public enum Initializers {
    /// (fan_in, fan_out) of a weight shape of rank ≥ 2; a rank-1 shape has fan_in = fan_out = its extent.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(!shape.isEmpty, "fans need a weight of rank ≥ 1, got shape \(shape)")
        if shape.count == 1 { return (shape[0], shape[0]) }
        let receptive = shape[2...].reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// N(mean, std²) values (`init.normal_`).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float, using generator: inout SeededGenerator) -> Tensor {
        Tensor.randn(shape, mean: mean, std: std, using: &generator)
    }

    /// Xavier/Glorot normal (`init.xavier_normal_`): N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1, using generator: inout SeededGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let std = gain * (2 / Float(fanIn + fanOut)).squareRoot()
        return Tensor.randn(shape, std: std, using: &generator)
    }

    /// Kaiming/He normal with mode fan_in and a = 0 (`init.kaiming_normal_(a=0, mode='fan_in')`, the leaky-ReLU
    /// gain √(2 / (1 + a²)) = √2): N(0, σ²) with σ = √2 / √fan_in.
    public static func kaimingNormal(_ shape: [Int], negativeSlope a: Float = 0,
                                     using generator: inout SeededGenerator) -> Tensor {
        let gain = (2 / (1 + a * a)).squareRoot()
        return Tensor.randn(shape, std: gain / Float(fans(shape).fanIn).squareRoot(), using: &generator)
    }

    /// PyTorch's default for convolution and linear weights and biases (`kaiming_uniform_(a=√5)` and the bias
    /// rule in `reset_parameters`): U(−1/√fan_in, 1/√fan_in), fan_in taken from `weightShape`.
    public static func defaultUniform(_ shape: [Int], weightShape: [Int], using generator: inout SeededGenerator) -> Tensor {
        let bound = 1 / Float(max(1, fans(weightShape).fanIn)).squareRoot()
        return Tensor.uniform(shape, lower: -bound, upper: bound, using: &generator)
    }

    /// A (semi-)orthogonal matrix times `gain` (`init.orthogonal_`): the weight flattened to
    /// [d0, rest] has orthonormal rows (when d0 ≤ rest) or columns (otherwise).
    ///
    /// As PyTorch: a Gaussian [rows, cols] matrix (transposed when rows < cols) is factored A = QR by Householder
    /// reflections, Q's columns are multiplied by sign(diag R) so that the result is uniformly distributed, and Q
    /// (transposed back) is reshaped to `shape`.
    public static func orthogonal(_ shape: [Int], gain: Float = 1, using generator: inout SeededGenerator) -> Tensor {
        precondition(shape.count >= 2, "orthogonal initialisation needs a weight of rank ≥ 2, got \(shape)")
        let rows = shape[0], cols = shape[1...].reduce(1, *)
        var gaussian = [Double](repeating: 0, count: rows * cols)
        for i in gaussian.indices { gaussian[i] = generator.nextNormal() }
        // Factor the tall orientation: m ≥ n.
        let transpose = rows < cols
        let (m, n) = transpose ? (cols, rows) : (rows, cols)
        var a = gaussian
        if transpose {
            for r in 0..<rows { for c in 0..<cols { a[c * rows + r] = gaussian[r * cols + c] } }
        }
        let qr = HouseholderQR(a, rows: m, columns: n)
        var q = qr.thinQ()
        for j in 0..<n where qr.r(j, j) < 0 {
            for i in 0..<m { q[i * n + j] = -q[i * n + j] }
        }
        var values = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                values[r * cols + c] = gain * Float(transpose ? q[c * n + r] : q[r * n + c])
            }
        }
        return Tensor(values, shape: shape)
    }
}
