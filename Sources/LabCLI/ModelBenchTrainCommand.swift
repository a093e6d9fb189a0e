import ArgumentParser
import Foundation
import LabCurriculum
import LabGGUF
import LabTensor
import LabTokenizer
import LabTrain
#if canImport(Glibc)
import Glibc
#endif

/// `synthlab model bench-train`: the speed of one full fine-tuning step, for bench/train.
struct ModelBenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Measure fine-tuning speed and peak memory: full (float32 weights), LoRA or QLoRA; AdamW, B sequences of T tokens per step.",
        discussion: """
            One untimed warm-up step, then --steps timed steps of forward, backward and AdamW update \
            on the same --batch windows of --seq-len consecutive token ids (from --ids, else the built-in \
            general text) every step, as bench/train's PyTorch side does. \
            Reports tokens per second and the peak resident memory of the process.

            Examples:
              synthlab model bench-train model.gguf --batch 1 --seq-len 512 --steps 3
              synthlab model bench-train model.gguf --ids ids.json --threads 2 --json
              synthlab model bench-train model.gguf --lora-rank 16 --qlora --lr 2e-4 --steps 20
            """
    )

    @Argument(help: ArgumentHelp("The model.", valueName: "gguf"))
    var model: String

    @Option(help: "Sequences per step.")
    var batch = 1

    @Option(help: "Tokens per sequence.")
    var seqLen = 512

    @Option(help: "Timed steps (after one warm-up step).")
    var steps = 3

    @Option(help: ArgumentHelp("A JSON array of token ids to train on.", valueName: "file"))
    var ids: String?

    @Option(help: ArgumentHelp("Train LoRA adapters of this rank on every projection instead of every weight (0: full fine-tuning).", valueName: "n"))
    var loraRank = 0

    @Flag(help: "With --lora-rank: keep the base quantized (QLoRA).")
    var qlora = false

    @Flag(help: "Recompute each block's activations in the backward instead of keeping them (less memory, one more forward).")
    var checkpointActivations = false

    @Option(help: "Peak learning rate of every step.")
    var lr: Float = 1e-5

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        guard batch > 0, seqLen > 1, steps > 0 else { throw ValidationError("--batch, --steps must be positive and --seq-len at least 2") }
        guard !qlora || loraRank > 0 else { throw ValidationError("--qlora needs --lora-rank N") }
        BLASThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let url = URL(fileURLWithPath: (model as NSString).expandingTildeInPath)
        let file: GGUFFile, trainable: TrainableDecoder
        do {
            file = try GGUFFile(url: url)
            trainable = try TrainableDecoder(file: file, quantizedBase: qlora)
        } catch {
            throw CLIError("cannot load \(url.path) for training: \(error)", hint: "pass a llama-architecture GGUF")
        }
        var tokens: [Int32]
        if let ids {
            guard let data = FileManager.default.contents(atPath: ids), let list = try? JSONDecoder().decode([Int32].self, from: data) else {
                throw CLIError("\(ids) is not a JSON array of token ids")
            }
            tokens = list
        } else {
            tokens = try Tokenizer(TokenizerVocabulary(gguf: file)).encode(GeneralText.text, addSpecial: false, parseSpecial: false)
        }
        guard !tokens.isEmpty, tokens.allSatisfy({ $0 >= 0 && Int($0) < trainable.config.vocabularySize }) else {
            throw CLIError("the token ids are empty or outside the model's vocabulary of \(trainable.config.vocabularySize)")
        }
        while tokens.count < batch * seqLen { tokens += tokens }
        let sequences = (0..<batch).map { TrainingSequence(tokens: Array(tokens[($0 * seqLen)..<(($0 + 1) * seqLen)])) }
        trainable.checkpointsActivations = checkpointActivations
        if loraRank > 0 { trainable.attachLoRA(LoRASettings(rank: loraRank, alpha: Float(2 * loraRank), targets: LoRATarget.allCases), seed: 1) }
        let optimiser = AdamW(model: trainable, settings: AdamWSettings())
        let scale = 1 / Float(sequences.reduce(0) { $0 + $1.scoredCount })
        func step() -> Double {
            trainable.zeroGradients()
            let loss = trainable.accumulateGradients(sequences, lossScale: scale)
            optimiser.update(trainable, learningRate: lr)
            return loss.mean
        }
        var losses = [step()]
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<steps { losses.append(step()) }
        let seconds = (clock.now - start).seconds
        let rate = Double(steps * batch * seqLen) / seconds
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let peak = Int(usage.ru_maxrss) * 1024
        if json {
            print(JSONText.encode([
                "tokens_per_second": rate, "peak_rss_bytes": peak, "steps": steps, "batch": batch, "seq_len": seqLen,
                "losses": losses, "seconds": seconds,
            ] as [String: Any]))
        } else {
            print(String(format: "%d steps of %d×%d tokens: %.1f tokens/s, %.2f s/step, peak RSS %.2f GB; loss %.4f → %.4f",
                         steps, batch, seqLen, rate, seconds / Double(steps), Double(peak) / 1e9, losses.first ?? .nan, losses.last ?? .nan))
        }
    }
}
