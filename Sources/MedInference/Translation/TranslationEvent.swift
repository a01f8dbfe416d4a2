import MedIO
import MedTraining

/// What `TranslationJob.run` reports while it works.
public enum TranslationEvent: Sendable {
    /// A dataset run found `present` of its `total` cases already written (it resumes).
    case resumed(present: Int, total: Int, file: String)
    /// A batch of slices was translated (from the thread that translates).
    case batch(TranslationProgress)
    /// A dataset case was committed to the output (from the calling thread).
    case caseWritten(DatasetWriteProgress)
}
