import MedTensor

/// Pixel-wise (voxel-wise) softmax cross-entropy with optional class weights, as PyTorch's
/// `CrossEntropyLoss(weight=w)` with reduction "mean" on [N, C, spatial…] logits:
///
/// ℓ = Σᵢ w[yᵢ] · (−log softmax(xᵢ)[yᵢ]) / Σᵢ w[yᵢ]   (without weights, the plain mean over positions).
///
/// Composed of `logSoftmax` and a constant one-hot mask, so its gradient is that of the tensor ops.
/// - Parameters:
///   - logits: [N, C, spatial…] unnormalised class scores.
///   - labels: [N, spatial…] or [N, 1, spatial…], integer class indices in 0..<C.
///   - classWeights: C non-negative weights (rarer classes weighted up), or nil for all 1.
/// - Returns: a rank-0 tensor.
public func crossEntropyLoss(_ logits: Tensor, _ labels: Tensor, classWeights: [Float]? = nil) -> Tensor {
    let classes = logits.shape.count >= 3 ? logits.shape[1] : 0
    precondition(classWeights == nil || classWeights!.count == classes,
                 "crossEntropyLoss has \(classWeights?.count ?? 0) class weights for \(classes) classes")
    var mask = OneHot.encode(labels, like: logits)
    if let classWeights {
        mask = mask * Tensor(classWeights, shape: [1, classes] + [Int](repeating: 1, count: logits.rank - 2))
    }
    let totalWeight = mask.sum().item
    precondition(totalWeight > 0, "crossEntropyLoss: the labels' class weights sum to 0")
    return -(mask * logits.logSoftmax(axis: 1)).sum() / totalWeight
}
