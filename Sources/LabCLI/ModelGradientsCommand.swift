import ArgumentParser
import Foundation
import LabCore
import LabGGUF
import LabLLM
import LabTrain

struct ModelGradientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradients",
        abstract: "The trainer's loss and gradients on one token sequence, for checking against another framework.",
        discussion: """
            The sequence's mean next-token loss (every token after the first predicted) and the \
            gradient of that mean with respect to every weight, in float32 as training computes \
            them. --out writes the gradients as little-endian float32, tensor after tensor in the \
            order --json lists them with their offsets and shapes (bench/architectures/run.sh \
            compares them with PyTorch's on every architecture).

            Examples:
              synthlab model gradients model.gguf --tokens 1,415,2936,9060 --json
              synthlab model gradients model.gguf --tokens 1,415,2936 --out grads.f32 --json
            """
    )

    @Argument(help: "The GGUF file.")
    var model: String

    @Option(help: "Comma-separated token ids (at least two).")
    var tokens: String

    @Option(help: "Write the gradients here (float32, tensors in --json's order).")
    var out: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    struct Tensor: Encodable {
        var name: String
        var dimensions: [Int]
        var offset: Int
        var count: Int
        var norm: Double
    }

    struct Output: Encodable {
        var architecture: String
        var loss: Double
        var targets: Int
        var tensors: [Tensor]
    }

    func run() async throws {
        let ids = try tokens.split(separator: ",").map { part -> Int32 in
            guard let id = Int32(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--tokens: '\(part)' is not a token id") }
            return id
        }
        guard ids.count >= 2 else { throw ValidationError("--tokens needs at least two ids (one prediction)") }
        let trainable: TrainableDecoder
        do {
            trainable = try TrainableDecoder(file: GGUFFile(url: URL(fileURLWithPath: model)))
        } catch let error as GGUFError {
            throw CLIError(error.description)
        } catch let error as ModelError {
            throw CLIError(error.description)
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= trainable.config.vocabularySize }) {
            throw ValidationError("--tokens: id \(bad) is outside the vocabulary 0..<\(trainable.config.vocabularySize)")
        }
        let sequence = TrainingSequence(tokens: ids)
        trainable.zeroGradients()
        let loss = trainable.accumulateGradients([sequence], lossScale: 1 / Float(sequence.scoredCount))
        var tensors: [Tensor] = []
        var data = Data()
        for tensor in trainable.layout.tensors {
            let gradient = trainable.gradient(of: tensor.name)!
            tensors.append(Tensor(name: tensor.name, dimensions: tensor.dimensions, offset: data.count / 4, count: tensor.count,
                                  norm: gradient.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()))
            if out != nil { data.append(gradient) }
        }
        if let out {
            do {
                try data.write(to: URL(fileURLWithPath: out), options: .atomic)
            } catch {
                throw CLIError("\(out): cannot write the gradients: \(error.localizedDescription)", hint: "check the folder exists and has space")
            }
        }
        let result = Output(architecture: trainable.config.architecture, loss: loss.mean, targets: loss.count, tensors: tensors)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print("\(result.architecture): loss \(String(format: "%.6f", result.loss)) over \(result.targets) predictions, \(tensors.count) tensors")
        }
    }
}
