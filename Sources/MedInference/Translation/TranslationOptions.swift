import MedCore
import MedTraining
import MedTensor

/// How `VolumeTranslator` runs a generator over a volume: slices per network call, the seed of the noise
/// channels (conditional GAN), and how slice sides are padded up to what the generator needs.
public struct TranslationOptions: Sendable, Equatable, Codable {
    /// How slices are padded up to the generator's side multiple (the output is cropped back afterwards).
    public enum Padding: String, Sendable, Codable, CaseIterable {
        /// Mirrored about the edge pixel, which is not repeated (`c b | a b c | b a`; PyTorch `ReflectionPad2d`,
        /// what the generators themselves use at their borders). Each edge can get at most side − 1 pixels.
        case reflect
        /// The edge pixel repeated (`a a | a b c | c c`; PyTorch `ReplicationPad2d`): any amount.
        case edge

        /// The tensor padding mode.
        public var mode: PaddingMode { self == .reflect ? .reflect : .replicate }
    }

    /// The default number of slices per network call (8).
    public static let defaultBatchSize = 8
    /// The largest batch accepted (a 256² ResNet-9 batch of 8 needs about 1 GB of activations; 4096 slices
    /// would be hundreds of GB, so anything above this is a typo).
    public static let maximumBatchSize = 4096

    /// Axial slices per network call (default 8). Results do not depend on it beyond float rounding in the
    /// matrix products; larger batches amortise per-call overhead at the cost of memory.
    public var batchSize: Int
    /// The seed of the noise channels of a conditional GAN (default 0): slice k of a volume draws its noise from
    /// `SeededGenerator(seed: seed).split(k)`, so the same seed gives the same bytes whatever the batch size.
    public var seed: UInt64
    /// How slices are padded (default reflect).
    public var padding: Padding

    /// Creates options (defaults: batch 8, seed 0, reflection padding).
    public init(batchSize: Int = TranslationOptions.defaultBatchSize, seed: UInt64 = 0, padding: Padding = .reflect) {
        self.batchSize = batchSize
        self.seed = seed
        self.padding = padding
    }

    /// Checks the batch size.
    /// - Throws: `MedSynthError(.invalidArgument)` naming `--batch` when it is outside 1…`maximumBatchSize`.
    public func validate() throws {
        guard (1...Self.maximumBatchSize).contains(batchSize) else {
            throw MedSynthError(.invalidArgument, "--batch", "is \(batchSize); expected 1…\(Self.maximumBatchSize) slices per network call")
        }
    }
}
