import MedTensor

/// The adversarial objective of the reference CycleGAN/pix2pix `GANLoss`: the loss of a discriminator's raw
/// prediction map against "real" or "fake".
///
/// - `lsgan`: mean((D − label)²) (least squares; the CycleGAN default);
/// - `vanilla`: binary cross-entropy of sigmoid(D) against the label (the original GAN; pix2pix);
/// - `wgangp`: −mean(D) for real, mean(D) for fake (the Wasserstein critic loss; the trainers add
///   `GradientPenalty` to the discriminator's loss in this mode).
public struct GANLoss: Sendable, Equatable {
    /// Which objective.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Least-squares GAN.
        case lsgan
        /// Cross-entropy GAN.
        case vanilla
        /// Wasserstein critic loss.
        case wgangp
    }

    /// The objective.
    public let mode: Mode
    /// The target for real predictions, 1.
    public let realLabel: Float
    /// The target for fake predictions, 0.
    public let fakeLabel: Float

    /// Creates the loss.
    /// - Parameters:
    ///   - mode: lsgan, vanilla or wgangp.
    ///   - realLabel: the real target (1; label smoothing uses e.g. 0.9).
    ///   - fakeLabel: the fake target (0).
    public init(mode: Mode = .lsgan, realLabel: Float = 1, fakeLabel: Float = 0) {
        self.mode = mode
        self.realLabel = realLabel
        self.fakeLabel = fakeLabel
    }

    /// The loss of `prediction` (a discriminator's output, any shape) against real or fake.
    /// - Parameters:
    ///   - prediction: the raw discriminator output (no sigmoid applied).
    ///   - targetIsReal: whether the ground truth is "real".
    /// - Returns: a rank-0 tensor.
    public func callAsFunction(_ prediction: Tensor, targetIsReal: Bool) -> Tensor {
        let label = targetIsReal ? realLabel : fakeLabel
        switch mode {
        case .lsgan: return mseLoss(prediction, Tensor.full(prediction.shape, label))
        case .vanilla: return binaryCrossEntropyWithLogits(prediction, Tensor.full(prediction.shape, label))
        case .wgangp: return targetIsReal ? -prediction.mean() : prediction.mean()
        }
    }
}
