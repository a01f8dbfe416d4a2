import Foundation

/// Cosine annealing (PyTorch's `CosineAnnealingLR` in closed form; the reference "cosine" policy with
/// `T_max = n_epochs`, `eta_min = 0`):
/// lr(e) = minimum + (base − minimum) · (1 + cos(π · e / period)) / 2.
/// Past `period` epochs the closed form rises again (PyTorch's recursive form does the same).
public struct CosineSchedule: EpochSchedule, Codable, Equatable {
    /// The initial learning rate.
    public var baseLearningRate: Float
    /// Epochs from the initial to the minimal rate (`T_max`, ≥ 1).
    public var period: Int
    /// The minimal rate (`eta_min`, 0).
    public var minimumLearningRate: Float

    /// Creates the schedule.
    public init(baseLearningRate: Float, period: Int, minimumLearningRate: Float = 0) {
        precondition(period >= 1, "cosine period \(period) must be ≥ 1")
        self.baseLearningRate = baseLearningRate
        self.period = period
        self.minimumLearningRate = minimumLearningRate
    }

    /// minimum + (base − minimum) · (1 + cos(π e / period)) / 2.
    public func learningRate(epoch: Int) -> Float {
        let (base, low) = (Double(baseLearningRate), Double(minimumLearningRate))
        return Float(low + (base - low) * (1 + Foundation.cos(Double.pi * Double(epoch) / Double(period))) / 2)
    }
}
