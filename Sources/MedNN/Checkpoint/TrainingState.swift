import Foundation
import MedCore
import MedTensor

/// The free-form part of a checkpoint that a trainer needs to resume exactly: counters, random-generator
/// states, schedule states and tensors such as an image pool, each under a name the trainer chooses.
///
/// Stored under `/training_state` (docs/CHECKPOINT_FORMAT.md): integers as int64 scalars, numbers as float64
/// scalars, words as uint64 arrays, tensors as float32 arrays of their shape, strings as UTF-8 attributes.
/// Every value comes back bit-identical.
///
/// ```swift
/// var state = TrainingState()
/// state.integers["step"] = step
/// state.setGenerator(dataGenerator, named: "data")
/// try state.setJSON(schedule, named: "schedule")          // any Codable value
/// state.tensors["pool_A"] = poolA                         // [k, C, H, W]; k may be 0
/// ```
public struct TrainingState {
    /// Counters (step, epoch, …): int64 scalars.
    public var integers: [String: Int] = [:]
    /// Real numbers (a best validation score, …): float64 scalars.
    public var numbers: [String: Double] = [:]
    /// Raw 64-bit words (random-generator states): uint64 arrays.
    public var words: [String: [UInt64]] = [:]
    /// Text, usually JSON of a Codable value (a learning-rate schedule, a configuration): UTF-8 attributes,
    /// each at most `maximumStringBytes`.
    public var strings: [String: String] = [:]
    /// Tensors (an image pool, …): float32 arrays of the tensor's shape; any extent may be 0.
    public var tensors: [String: Tensor] = [:]

    /// The largest string stored (HDF5 keeps attributes in the object header, whose messages are limited to 64 KiB).
    public static let maximumStringBytes = 60_000

    /// An empty state.
    public init() {}

    /// True when no value is set.
    public var isEmpty: Bool {
        integers.isEmpty && numbers.isEmpty && words.isEmpty && strings.isEmpty && tensors.isEmpty
    }

    // MARK: - Conveniences

    /// Stores a seeded generator's four state words under `name` in `words`.
    public mutating func setGenerator(_ generator: SeededGenerator, named name: String) {
        words[name] = generator.state
    }

    /// The seeded generator stored under `name`.
    /// - Throws: `MedSynthError(.notFound)` when there is none, `.corrupt` when the words are not a valid
    ///   xoshiro256** state (four words, not all zero).
    public func generator(named name: String) throws -> SeededGenerator {
        guard let state = words[name] else {
            throw MedSynthError(.notFound, "training state", "no generator '\(name)'; stored words: \(words.keys.sorted())")
        }
        guard state.count == 4, state.contains(where: { $0 != 0 }) else {
            throw MedSynthError(.corrupt, "training state", "'\(name)' holds \(state.count) words \(state), not a generator state (4 words, not all zero)")
        }
        return SeededGenerator(state: state)
    }

    /// Stores `value` as JSON under `name` in `strings` (floats are written so that they read back exactly;
    /// infinities and NaN as the strings "inf", "-inf", "nan").
    /// - Throws: the encoder's error.
    public mutating func setJSON<T: Encodable>(_ value: T, named name: String) throws {
        strings[name] = String(decoding: try TrainingState.encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the JSON stored under `name` in `strings`.
    /// - Throws: `MedSynthError(.notFound)` when there is none, `.corrupt` (quoting the decoder's reason) when it
    ///   does not decode as `T`.
    public func decodeJSON<T: Decodable>(_ type: T.Type, named name: String) throws -> T {
        guard let text = strings[name] else {
            throw MedSynthError(.notFound, "training state", "no string '\(name)'; stored strings: \(strings.keys.sorted())")
        }
        do {
            return try TrainingState.decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw MedSynthError(.corrupt, "training state", "'\(name)' does not decode as \(T.self): \(error)")
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
