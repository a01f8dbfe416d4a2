import MedCore

/// A transform's settings: every value has a default (`init()`), so a pipeline entry names only what it changes.
/// Conforming types keep Swift's synthesized `Codable`; `decodingWithDefaults` supplies the defaults of absent keys
/// and rejects keys that are not settings, so no settings type writes its own decoder.
public protocol TransformSettings: Codable, Sendable, Equatable {
    /// The defaults.
    init()
}

extension TransformSettings {
    /// Decodes the map at `decoder` with the synthesized `init(from:)`, an absent key taking its value from `init()`.
    /// - Parameters:
    ///   - transform: the transform's name, for messages.
    ///   - alsoAllowed: keys handled elsewhere (`transform`, `probability` of a pipeline entry).
    /// - Throws: `MedSynthError(.invalidArgument)` naming a key that is neither a setting nor in `alsoAllowed` and
    ///   listing the known ones; the decoder's errors for a value of the wrong type.
    static func decodingWithDefaults(from decoder: Decoder, transform: String, alsoAllowed: [String]) throws -> Self {
        let defaults = DefaultsRecorder()
        try Self().encode(to: defaults)
        let reading = DefaultingDecoder(base: decoder, defaults: defaults.values)
        let value = try Self(from: reading)
        let known = reading.requested.union(alsoAllowed)
        let given = try decoder.container(keyedBy: AnyCodingKey.self).allKeys.map(\.stringValue)
        if let key = given.filter({ !known.contains($0) }).sorted().first {
            throw MedSynthError(.invalidArgument, key,
                                "is not a setting of '\(transform)'; expected one of: \(known.sorted().joined(separator: ", "))")
        }
        return value
    }
}

/// An encoder that keeps the top-level values of a keyed encoding, by key, with their types (the defaults).
private final class DefaultsRecorder: Encoder {
    var values: [String: Any] = [:]
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Recording<Key>(recorder: self))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer { preconditionFailure("transform settings are a keyed map") }
    func singleValueContainer() -> SingleValueEncodingContainer { preconditionFailure("transform settings are a keyed map") }

    struct Recording<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let recorder: DefaultsRecorder
        var codingPath: [CodingKey] { [] }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encodeNil(forKey key: Key) throws { recorder.values[key.stringValue] = nil }
        mutating func encode(_ value: Bool, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: String, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Double, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Float, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Int, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Int8, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Int16, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Int32, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: Int64, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: UInt, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { recorder.values[key.stringValue] = value }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { recorder.values[key.stringValue] = value }

        mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
            preconditionFailure("transform settings encode each value whole")
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            preconditionFailure("transform settings encode each value whole")
        }
        mutating func superEncoder() -> Encoder { preconditionFailure("transform settings have no superclass") }
        mutating func superEncoder(forKey key: Key) -> Encoder { preconditionFailure("transform settings have no superclass") }
    }
}

/// A decoder over the user's map that answers an absent key with its default and notes every key asked for.
private final class DefaultingDecoder: Decoder {
    let base: Decoder
    let defaults: [String: Any]
    var requested: Set<String> = []
    var codingPath: [CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    init(base: Decoder, defaults: [String: Any]) {
        self.base = base
        self.defaults = defaults
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Reading(decoder: self, given: try base.container(keyedBy: Key.self)))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer { try base.unkeyedContainer() }
    func singleValueContainer() throws -> SingleValueDecodingContainer { try base.singleValueContainer() }

    struct Reading<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: DefaultingDecoder
        let given: KeyedDecodingContainer<Key>
        var codingPath: [CodingKey] { given.codingPath }
        var allKeys: [Key] {
            given.allKeys + decoder.defaults.keys.compactMap { Key(stringValue: $0) }.filter { !given.contains($0) }
        }

        func contains(_ key: Key) -> Bool { given.contains(key) || decoder.defaults[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool {
            decoder.requested.insert(key.stringValue)
            return given.contains(key) ? try given.decodeNil(forKey: key) : decoder.defaults[key.stringValue] == nil
        }

        /// The user's value, or the default (the encoded default is the very value, so the cast cannot fail).
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            decoder.requested.insert(key.stringValue)
            if given.contains(key) { return try given.decode(T.self, forKey: key) }
            guard let value = decoder.defaults[key.stringValue] as? T else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value and no default"))
            }
            return value
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            decoder.requested.insert(key.stringValue)
            if given.contains(key) { return try given.decodeIfPresent(T.self, forKey: key) }
            return decoder.defaults[key.stringValue] as? T
        }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decode(false, key) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decode("", key) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decode(Double(0), key) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decode(Float(0), key) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decode(Int(0), key) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decode(Int8(0), key) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decode(Int16(0), key) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decode(Int32(0), key) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decode(Int64(0), key) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decode(UInt(0), key) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decode(UInt8(0), key) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decode(UInt16(0), key) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decode(UInt32(0), key) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decode(UInt64(0), key) }

        /// The primitive overloads, through the generic path (the argument only picks the type).
        private func decode<T: Decodable>(_ typeWitness: T, _ key: Key) throws -> T { try decode(T.self, forKey: key) }

        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            decoder.requested.insert(key.stringValue)
            return try given.nestedContainer(keyedBy: N.self, forKey: key)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            decoder.requested.insert(key.stringValue)
            return try given.nestedUnkeyedContainer(forKey: key)
        }
        func superDecoder() throws -> Decoder { try given.superDecoder() }
        func superDecoder(forKey key: Key) throws -> Decoder { try given.superDecoder(forKey: key) }
    }
}
