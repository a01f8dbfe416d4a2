import MedTensor

/// One-hot encoding of integer class maps, the constant targets of the segmentation losses.
public enum OneHot {
    /// The one-hot encoding of a label map.
    /// - Parameters:
    ///   - labels: [N, spatial…] or [N, 1, spatial…], integer values in 0..<classes (stored as Float).
    ///   - classes: the number of classes C.
    ///   - spatialShape: the expected spatial extents (those of the logits), checked against the labels.
    /// - Returns: [N, C, spatial…] with 1 at each value's class and 0 elsewhere (untracked).
    /// - Precondition: every label is an integer in 0..<classes (validate label maps when loading them).
    public static func encode(_ labels: Tensor, classes: Int, batch: Int, spatialShape: [Int]) -> Tensor {
        let flatShape = [batch] + spatialShape
        precondition(labels.shape == flatShape || labels.shape == [batch, 1] + spatialShape,
                     "labels must be \(flatShape) or \([batch, 1] + spatialShape), got \(labels.shape)")
        let spatial = spatialShape.reduce(1, *)
        var values = [Float](repeating: 0, count: batch * classes * spatial)
        labels.withUnsafeBufferPointer { l in
            for n in 0..<batch {
                for s in 0..<spatial {
                    let v = l[n * spatial + s]
                    let c = Int(v)
                    precondition(Float(c) == v && c >= 0 && c < classes,
                                 "label \(v) at sample \(n), position \(s) is not a class index in 0..<\(classes)")
                    values[(n * classes + c) * spatial + s] = 1
                }
            }
        }
        return Tensor(values, shape: [batch, classes] + spatialShape)
    }

    /// The one-hot encoding of `labels` for logits of shape [N, C, spatial…].
    static func encode(_ labels: Tensor, like logits: Tensor) -> Tensor {
        precondition(logits.rank >= 3, "segmentation logits must be [N, C, spatial…], got \(logits.shape)")
        return encode(labels, classes: logits.shape[1], batch: logits.shape[0], spatialShape: Array(logits.shape[2...]))
    }
}
