import MedNN
import MedTensor

/// The one small protocol every trainer follows (the reference CycleGAN implementation's `BaseModel`):
/// set an input batch, then optimise one step; the names of its losses, networks and visuals let logging,
/// checkpoints and reports handle every trainer the same way.
///
/// ```swift
/// trainer.setInput(batch)
/// trainer.optimizeParameters()
/// let losses = trainer.currentLosses()      // ["G_A": 0.41, "cycle_A": 1.9, …]
/// ```
public protocol Trainer: AnyObject {
    /// What one step consumes (an unpaired pair of images, a paired pair, …).
    associatedtype Batch

    /// The names of the losses `currentLosses()` reports, in a fixed order (CSV columns).
    var lossNames: [String] { get }
    /// The trained networks by name (`G_A`, `D_B`, …), in a fixed order (checkpoint groups).
    var networks: [(name: String, module: Module)] { get }
    /// The names of the images `currentVisuals()` returns (`real_A`, `fake_B`, …), in display order.
    var visualNames: [String] { get }

    /// Stores the batch the next `optimizeParameters()` trains on.
    func setInput(_ batch: Batch)
    /// Runs the forward pass and one optimisation step of every network on the stored batch.
    func optimizeParameters()
    /// The loss values of the last step, by name (all of `lossNames`).
    func currentLosses() -> [String: Float]
    /// The images of the last step, by name (all of `visualNames`), [N, C, H, W] in the networks' range.
    func currentVisuals() -> [String: Tensor]
}
