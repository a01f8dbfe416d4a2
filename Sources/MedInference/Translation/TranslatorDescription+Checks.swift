import MedCore
import MedTraining
import MedIO
import MedNN

extension TranslatorDescription {
    /// The largest side multiple accepted (2^12: a U-Net with 12 downsamplings, the most `ConditionalGANOptions`
    /// allows).
    public static let maximumSideMultiple = 1 << 12

    /// Checks that the description can drive a translation: a side multiple of 1…4096, 0…64 noise channels with
    /// a finite, non-negative standard deviation, at least one generator, valid normalisation rules, and output
    /// mappings in physical (non-label) units.
    /// - Parameter source: the checkpoint file, for messages.
    /// - Throws: `MedSynthError(.corrupt)` naming `source`, the field and its value.
    public func validate(source: String) throws {
        func corrupt(_ message: String) -> MedSynthError {
            MedSynthError(.corrupt, source, "translator description: \(message)")
        }
        guard (1...Self.maximumSideMultiple).contains(sideMultiple) else {
            throw corrupt("sideMultiple is \(sideMultiple); expected 1…\(Self.maximumSideMultiple)")
        }
        guard (0...64).contains(noiseChannels) else { throw corrupt("noiseChannels is \(noiseChannels); expected 0…64") }
        guard noiseStd.isFinite, noiseStd >= 0 else { throw corrupt("noiseStd is \(noiseStd); expected a finite value ≥ 0") }
        guard !generators.isEmpty else { throw corrupt("generators is empty; expected \"AtoB\" (and \"BtoA\") network names") }
        let unknown = generators.keys.filter { TranslationDirection(rawValue: $0) == nil }.sorted()
        guard unknown.isEmpty else {
            throw corrupt("generators has unknown direction(s) \(unknown); expected AtoB, BtoA")
        }
        do {
            try normalizationA.validate(subject: "normalizationA")
            try normalizationB.validate(subject: "normalizationB")
        } catch let error as MedSynthError {
            throw corrupt(error.description)
        }
        for (name, mapping) in [("outputMappingA", outputMappingA), ("outputMappingB", outputMappingB)] where mapping.unit == .label {
            throw corrupt("\(name) is in unit 'label'; expected HU, SUV or arbitrary units")
        }
    }

    /// Stores this description in a checkpoint's training state under `stateKey` (JSON), where
    /// `read(from:source:)` and `medsynth translate` find it.
    /// - Throws: the JSON encoder's error.
    public func store(in state: inout TrainingState) throws {
        try state.setJSON(self, named: Self.stateKey)
    }

    /// "CT → T1" for a direction.
    public func summary(_ direction: TranslationDirection) -> String {
        let roles = roles(direction)
        return "\(roles.input.rawValue) → \(roles.output.rawValue)"
    }
}
