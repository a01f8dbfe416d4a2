/// The update rule of an optimizer for one parameter: all an optimizer implements; `Optimizer` walks the
/// parameters, keeps each one's state and calls the rule.
public protocol ParameterUpdateRule: Sendable {
    /// The names of the per-parameter state tensors (each shaped like the parameter, starting at zero), as
    /// PyTorch names them (`exp_avg`, `momentum_buffer`): they become checkpoint keys `<param key>.<name>`.
    var stateNames: [String] { get }

    /// Updates one parameter in place.
    /// - Parameters:
    ///   - parameter: the values, changed in place.
    ///   - gradient: dL/dparameter, the same count.
    ///   - state: one buffer per `stateNames` entry, the same count, kept between calls.
    ///   - step: how many times this parameter has been updated, this call included (1 on the first).
    ///   - learningRate: the current learning rate.
    func update(parameter: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                state: [UnsafeMutableBufferPointer<Float>], step: Int, learningRate: Float)
}
