import MedTensor

/// Soft Dice loss on softmax probabilities (MONAI's `DiceLoss(softmax=True, to_onehot_y=True)` with its default
/// smoothing): for each sample n and class c, with p = softmax(logits) and t the one-hot labels,
///
/// Dice(n, c) = (2 Σ p·t + smooth) / (Σ p + Σ t + smooth),  ℓ = 1 − mean over n and c of Dice(n, c),
///
/// sums over the spatial positions. Classes absent from a sample and predicted absent score ≈ 1.
/// - Parameters:
///   - logits: [N, C, spatial…].
///   - labels: [N, spatial…] or [N, 1, spatial…], integer class indices in 0..<C.
///   - includeBackground: average class 0 too; false drops it (common when the background dominates).
///   - smooth: added to numerator and denominator, 1e-5.
/// - Returns: a rank-0 tensor in [0, 1].
public func softDiceLoss(_ logits: Tensor, _ labels: Tensor, includeBackground: Bool = true,
                         smooth: Float = 1e-5) -> Tensor {
    let target = OneHot.encode(labels, like: logits)
    var p = logits.softmax(axis: 1), t = target
    if !includeBackground {
        precondition(logits.shape[1] > 1, "softDiceLoss without background needs ≥ 2 classes, logits \(logits.shape)")
        p = p.sliced(axis: 1, 1..<logits.shape[1])
        t = t.sliced(axis: 1, 1..<logits.shape[1])
    }
    let spatialAxes = Array(2..<logits.rank)
    let intersection = (p * t).sum(axes: spatialAxes)
    let denominator = p.sum(axes: spatialAxes) + t.sum(axes: spatialAxes)
    let dice = (2 * intersection + smooth) / (denominator + smooth)
    return 1 - dice.mean()
}

/// Dice plus cross-entropy, the usual segmentation objective: diceWeight · softDice + ceWeight · crossEntropy.
/// - Parameters:
///   - logits: [N, C, spatial…].
///   - labels: [N, spatial…] or [N, 1, spatial…] class indices.
///   - classWeights: cross-entropy class weights, or nil.
///   - diceWeight: the Dice term's weight, 1.
///   - crossEntropyWeight: the cross-entropy term's weight, 1.
///   - includeBackground: whether Dice averages class 0.
/// - Returns: a rank-0 tensor.
public func diceCrossEntropyLoss(_ logits: Tensor, _ labels: Tensor, classWeights: [Float]? = nil,
                                 diceWeight: Float = 1, crossEntropyWeight: Float = 1,
                                 includeBackground: Bool = true) -> Tensor {
    diceWeight * softDiceLoss(logits, labels, includeBackground: includeBackground)
        + crossEntropyWeight * crossEntropyLoss(logits, labels, classWeights: classWeights)
}
