import MedCore
import MedTensor

/// The history of generated images the reference CycleGAN shows its discriminators (Shrivastava et al. 2017):
/// until the pool is full each fake is stored and returned; afterwards, with probability ½ a fake replaces a
/// random stored one and the stored one is returned, otherwise the fake itself is returned.
///
/// Randomness comes from the pool's own seeded generator, so a run (and a resumed run, with `state` restored)
/// makes the same choices. A capacity of 0 disables the pool (`query` returns its input).
public struct ImagePool {
    /// The most images kept (50 in the reference).
    public let capacity: Int
    /// The stored images, each [1, C, H, W], detached.
    public private(set) var images: [Tensor] = []
    /// The source of the replace/return choices.
    public var generator: SeededGenerator

    /// Creates an empty pool.
    public init(capacity: Int = 50, generator: SeededGenerator) {
        precondition(capacity >= 0, "image pool capacity must be ≥ 0, got \(capacity)")
        self.capacity = capacity
        self.generator = generator
    }

    /// Restores a pool saved as `images` (for exact resume).
    public init(capacity: Int, images: [Tensor], generator: SeededGenerator) {
        precondition(images.count <= capacity, "image pool of capacity \(capacity) cannot hold \(images.count) images")
        self.capacity = capacity
        self.images = images.map { $0.detached() }
        self.generator = generator
    }

    /// The images to show the discriminator for the fakes `batch` [N, C, H, W] (detached).
    public mutating func query(_ batch: Tensor) -> Tensor {
        let fakes = batch.detached()
        guard capacity > 0 else { return fakes }
        let n = fakes.shape[0]
        var out: [Tensor] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            let image = n == 1 ? fakes : fakes.sliced(axis: 0, i..<(i + 1))
            if images.count < capacity {
                images.append(image)
                out.append(image)
            } else if generator.nextUnitDouble() > 0.5 {
                let index = Int(generator.next() % UInt64(capacity))
                out.append(images[index])
                images[index] = image
            } else {
                out.append(image)
            }
        }
        return n == 1 ? out[0] : Tensor.concatenate(out, axis: 0)
    }
}
