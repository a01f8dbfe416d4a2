import MedIO

/// A case as CarveMix sees it: co-registered images and their label map.
public struct LabelledCase: Sendable {
    /// The images (CT, T1, …).
    public var images: [Volume]
    /// The label map (lesion labels ≥ 10).
    public var labels: Volume

    /// Creates a case.
    public init(images: [Volume], labels: Volume) {
        self.images = images
        self.labels = labels
    }
}
