/// MedSynth's version, written into every file's provenance.
public enum MedSynthVersion {
    /// Semantic version of this build.
    public static let string = "0.1.0"
}
