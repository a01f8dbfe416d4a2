/// Reduce the learning rate when a monitored loss stops improving (PyTorch's `ReduceLROnPlateau` with mode
/// "min", threshold mode "rel"). Its defaults are PyTorch's; the reference "plateau" policy uses factor 0.2,
/// threshold 0.01, patience 5.
///
/// Each `step(metric:)`: the metric is an improvement when metric < best · (1 − threshold); otherwise a bad
/// epoch is counted. During a cooldown bad epochs are not counted. After more than `patience` bad epochs the
/// rate becomes max(lr · factor, minimum) (when that lowers it by more than eps) and a cooldown starts.
public struct PlateauScheduler: Codable, Equatable, Sendable {
    /// The current learning rate.
    public private(set) var learningRate: Float
    /// The multiplier applied at each reduction, 0.1.
    public var factor: Float
    /// Bad epochs tolerated before reducing, 10.
    public var patience: Int
    /// The relative improvement that counts, 1e-4.
    public var threshold: Float
    /// Epochs after a reduction during which bad epochs are not counted, 0.
    public var cooldown: Int
    /// The lowest rate, 0.
    public var minimumLearningRate: Float
    /// Reductions smaller than this are skipped, 1e-8.
    public var eps: Float
    /// The best metric so far (nil before the first step; PyTorch starts at +∞, which JSON cannot hold).
    public private(set) var best: Float?
    /// Consecutive epochs without improvement.
    public private(set) var badEpochs = 0
    /// Epochs of cooldown left.
    public private(set) var cooldownLeft = 0

    /// Creates the scheduler with PyTorch's defaults.
    public init(learningRate: Float, factor: Float = 0.1, patience: Int = 10, threshold: Float = 1e-4,
                cooldown: Int = 0, minimumLearningRate: Float = 0, eps: Float = 1e-8) {
        precondition(factor > 0 && factor < 1, "plateau factor \(factor) must be in (0, 1)")
        precondition(patience >= 0 && cooldown >= 0, "patience \(patience) and cooldown \(cooldown) must be ≥ 0")
        self.learningRate = learningRate
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
        self.eps = eps
    }

    /// Records one epoch's metric (lower is better) and returns the learning rate for the next epoch.
    @discardableResult
    public mutating func step(metric: Float) -> Float {
        if best.map({ metric < $0 * (1 - threshold) }) ?? true {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            badEpochs = 0
        }
        if badEpochs > patience {
            let reduced = max(learningRate * factor, minimumLearningRate)
            if learningRate - reduced > eps { learningRate = reduced }
            cooldownLeft = cooldown
            badEpochs = 0
        }
        return learningRate
    }

    /// Records one epoch's metric and sets `optimizer`'s learning rate for the next epoch.
    public mutating func step(metric: Float, optimizer: any ParameterOptimizer) {
        optimizer.learningRate = step(metric: metric)
    }
}
