import Foundation

/// Step decay (PyTorch's `StepLR`; the reference "step" policy with `lr_decay_iters` 50):
/// lr(e) = base · gamma^⌊e / stepSize⌋.
public struct StepDecaySchedule: EpochSchedule, Codable, Equatable {
    /// The initial learning rate.
    public var baseLearningRate: Float
    /// Epochs between decays (≥ 1).
    public var stepSize: Int
    /// The factor applied at each decay, 0.1.
    public var gamma: Float

    /// Creates the schedule.
    public init(baseLearningRate: Float, stepSize: Int = 50, gamma: Float = 0.1) {
        precondition(stepSize >= 1, "step size \(stepSize) must be ≥ 1")
        self.baseLearningRate = baseLearningRate
        self.stepSize = stepSize
        self.gamma = gamma
    }

    /// base · gamma^⌊e / stepSize⌋.
    public func learningRate(epoch: Int) -> Float {
        Float(Double(baseLearningRate) * Foundation.pow(Double(gamma), Double(epoch / stepSize)))
    }
}
