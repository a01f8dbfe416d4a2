/// The 64-bit FNV-1a hash, for the `fnv1a64:<16 hex digits>` signatures MedSynth records (dataset runs, sampler
/// states, translator weights, masks): not cryptographic, only a fingerprint that changes with the input.
public struct FNV1a64: Sendable {
    /// The hash so far (the offset basis before any byte).
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    /// A hash of no bytes.
    public init() {}

    /// Adds `bytes`, in order.
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }

    /// Adds the bytes of `buffer`, in memory order.
    public mutating func add(_ buffer: UnsafeRawBufferPointer) {
        for byte in buffer { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
    }

    /// `fnv1a64:` and the hash as 16 lower-case hex digits.
    public var signature: String {
        let hex = String(value, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The signature of `text`'s UTF-8 bytes.
    public static func signature(of text: String) -> String {
        var h = FNV1a64()
        h.add(text.utf8)
        return h.signature
    }
}
