import LabCore
import LabTrain
import Testing

/// Every tensor's accumulated gradient (from `model.accumulateGradients` just before) against a
/// finite difference of the mean loss along one random direction per tensor.
///
/// The loss is computed from float32 logits, so a difference of two losses carries ~1e-6 of
/// noise, while a step along a whole tensor meets its curvature: the fourth-order stencil at
/// h = 3e-3 with an absolute floor of 1e-2 keeps both below the 2 % tolerance
/// (bench/architectures compares the gradients element by element with PyTorch's: 1e-6 relative).
func expectGradientsMatchFiniteDifferences(
    _ model: TrainableDecoder, _ sequences: [TrainingSequence], label: String,
    sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
    var random = SeededRandom(seed: 9)
    let h: Float = 3e-3
    for tensor in model.layout.tensors {
        let direction = (0..<tensor.count).map { _ in random.nextUnitFloat() * 2 - 1 }
        let gradient = model.gradient(of: tensor.name)!
        let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        func shifted(_ steps: Float) -> Double {
            model.withMutableWeights { w in
                for i in 0..<tensor.count { w[tensor.offset + i] += steps * h * direction[i] }
            }
            defer {
                model.withMutableWeights { w in
                    for i in 0..<tensor.count { w[tensor.offset + i] -= steps * h * direction[i] }
                }
            }
            return model.loss(sequences).mean
        }
        let numeric = (8 * (shifted(1) - shifted(-1)) - (shifted(2) - shifted(-2))) / Double(12 * h)
        let error = abs(analytic - numeric) / max(1e-2, abs(numeric))
        #expect(error < 2e-2, "\(label) \(tensor.name): analytic \(analytic), numeric \(numeric)", sourceLocation: sourceLocation)
    }
}
