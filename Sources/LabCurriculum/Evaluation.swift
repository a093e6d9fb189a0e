public import LabTrain

/// A set of sequences whose mean loss is reported: one per leaf's held-out samples, plus the
/// general text.
public struct EvaluationSet: Sendable {
    public enum Kind: String, Sendable, Codable {
        case knowledge, skill, general
        /// Held-out chunks of the CPT documents (raw text, every token scored).
        case document
    }

    public var name: String
    public var kind: Kind
    public var sequences: [TrainingSequence]
}

/// One set's loss at one stage.
public struct EvaluationResult: Sendable, Codable, Equatable {
    public var set: String
    public var kind: EvaluationSet.Kind
    public var loss: Double
    public var targets: Int

    public init(set: String, kind: EvaluationSet.Kind, loss: Double, targets: Int) {
        self.set = set
        self.kind = kind
        self.loss = loss
        self.targets = targets
    }
}

extension EvaluationSet {
    /// The name of the general-text set in tables and the store.
    public static let generalName = "general text"

    /// Held-out sets per leaf (sorted by leaf) and the general text. Knowledge is asked closed
    /// book — the question alone, loss on the answer — because the point is whether the facts
    /// are in the weights; skills are scored as they are trained (loss on the answer).
    public static func sets(heldOut: [TrainingExample], encoder: SequenceEncoder, generalText: String = GeneralText.text,
                            window: Int = 256, documents: [EvaluationSet] = []) throws -> [EvaluationSet] {
        var sets: [EvaluationSet] = []
        for leaf in Set(heldOut.map(\.leaf)).sorted() {
            let examples = heldOut.filter { $0.leaf == leaf }
            let kind: Kind = examples[0].kind == .knowledge ? .knowledge : .skill
            let sequences = try examples.compactMap { example in
                try encoder.encode(system: example.system, user: kind == .knowledge ? example.question : example.user,
                                   assistant: example.assistant, unmask: false)
            }
            if !sequences.isEmpty { sets.append(EvaluationSet(name: leaf, kind: kind, sequences: sequences)) }
        }
        sets += documents.filter { !$0.sequences.isEmpty }
        sets.append(EvaluationSet(name: generalName, kind: .general, sequences: encoder.encodeText(generalText, window: window)))
        return sets
    }

    /// The mean loss of every set under `model`'s current weights.
    public static func evaluate(_ sets: [EvaluationSet], model: TrainableDecoder, microBatchTokens: Int) -> [EvaluationResult] {
        sets.map { set in
            let loss = model.loss(of: set.sequences, microBatchTokens: microBatchTokens)
            return EvaluationResult(set: set.name, kind: set.kind, loss: loss.mean, targets: loss.count)
        }
    }
}
