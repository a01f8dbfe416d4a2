import MedCore
import MedTensor

/// The WGAN-GP gradient penalty (Gulrajani et al. 2017), as the reference implementation's
/// `cal_gradient_penalty(netD, real, fake, type='mixed', constant=1.0, lambda_gp=10.0)`:
///
///     x̂ = α · real + (1 − α) · fake,  α ~ U[0, 1) per sample
///     GP = λ · mean_n (‖∇_x̂ Σ D(x̂)[n]‖₂ − c)²,  the norm over all values of sample n (after adding 1e-16)
///
/// The gradient ∇_x̂ D(x̂) is computed with `createGraph: true`, so the penalty back-propagates into D's
/// parameters through the second-order graph (the discriminator's parameters must require grad).
public struct GradientPenalty: Sendable, Equatable {
    /// λ, the penalty weight (10).
    public var weight: Float
    /// c, the target gradient norm (1).
    public var targetNorm: Float

    /// The reference defaults: λ = 10, c = 1.
    public init(weight: Float = 10, targetNorm: Float = 1) {
        self.weight = weight
        self.targetNorm = targetNorm
    }

    /// The penalty of `discriminator` between `real` and `fake` batches, with α drawn from `generator`.
    /// - Parameters:
    ///   - discriminator: the critic, applied once to the interpolated batch (in its current training mode).
    ///   - real: real images, [N, …].
    ///   - fake: generated images of the same shape; no gradient flows back to their generator.
    ///   - generator: advanced by one uniform draw per sample (α).
    /// - Returns: the rank-0 penalty, recorded so that `backward()` reaches the discriminator's parameters.
    public func callAsFunction(_ discriminator: (Tensor) -> Tensor, real: Tensor, fake: Tensor,
                               generator: inout SeededGenerator) -> Tensor {
        precondition(real.shape == fake.shape && real.rank >= 2,
                     "the gradient penalty needs real and fake batches of one shape [N, …], got \(real.shape) and \(fake.shape)")
        let n = real.shape[0]
        var alphaShape = [Int](repeating: 1, count: real.rank)
        alphaShape[0] = n
        let alpha = Tensor.uniform(alphaShape, using: &generator)
        return penalty(discriminator, real: real, fake: fake, alpha: alpha)
    }

    /// The penalty with given interpolation weights `alpha` ([N, 1, …], one per sample).
    public func penalty(_ discriminator: (Tensor) -> Tensor, real: Tensor, fake: Tensor, alpha: Tensor) -> Tensor {
        let n = real.shape[0]
        precondition(alpha.count == n, "the gradient penalty needs one α per sample (\(n)), got shape \(alpha.shape)")
        let interpolated = withNoGrad { alpha * real.detached() + (1 - alpha) * fake.detached() }.requiringGrad()
        let critic = discriminator(interpolated)
        let gradient = critic.gradients(withRespectTo: [interpolated], createGraph: true)[0]
        let norms = ((gradient.reshaped([n, -1]) + 1e-16).pow(2).sum(axes: [1])).sqrt()
        return (norms - targetNorm).pow(2).mean() * weight
    }
}
