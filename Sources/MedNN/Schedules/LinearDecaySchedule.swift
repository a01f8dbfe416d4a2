/// The reference CycleGAN/pix2pix "linear" policy (`lambda_rule` in `networks.get_scheduler`): the initial rate
/// for `constantEpochs` epochs, then a linear decay towards 0 over `decayEpochs` epochs:
///
/// lr(e) = base · (1 − max(0, e + epochCount − constantEpochs) / (decayEpochs + 1)).
public struct LinearDecaySchedule: EpochSchedule, Codable, Equatable {
    /// The initial learning rate (the reference: 2e-4).
    public var baseLearningRate: Float
    /// Epochs at the initial rate (`n_epochs`, 100).
    public var constantEpochs: Int
    /// Epochs of linear decay (`n_epochs_decay`, 100).
    public var decayEpochs: Int
    /// The number of the first epoch (`epoch_count`, 1; larger when resuming).
    public var epochCount: Int

    /// Creates the schedule with the reference defaults.
    public init(baseLearningRate: Float, constantEpochs: Int = 100, decayEpochs: Int = 100, epochCount: Int = 1) {
        precondition(constantEpochs >= 0 && decayEpochs >= 0, "epoch counts must be ≥ 0, got \(constantEpochs), \(decayEpochs)")
        self.baseLearningRate = baseLearningRate
        self.constantEpochs = constantEpochs
        self.decayEpochs = decayEpochs
        self.epochCount = epochCount
    }

    /// base · (1 − max(0, e + epochCount − constantEpochs) / (decayEpochs + 1)).
    public func learningRate(epoch: Int) -> Float {
        let factor = 1 - Double(max(0, epoch + epochCount - constantEpochs)) / Double(decayEpochs + 1)
        return Float(Double(baseLearningRate) * factor)
    }
}
