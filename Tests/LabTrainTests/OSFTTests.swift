import Foundation
import LabCore
import LabGGUF
import LabTensor
import LabTestSupport
import LabTrain
import Testing

@Suite("OSFT: the frozen subspaces do not move")
struct OSFTTests {
    @Test("the SVD reconstructs its matrix, with orthonormal factors")
    func decomposition() throws {
        var random = SeededRandom(seed: 9)
        let (rows, columns) = (7, 5)
        let matrix = (0..<(rows * columns)).map { _ in Float(Int(random.next() % 2001) - 1000) / 500 }
        let svd = try #require(matrix.withUnsafeBufferPointer { SingularValueDecomposition($0.baseAddress!, rows: rows, columns: columns) })
        #expect(svd.rank == 5 && zip(svd.s, svd.s.dropFirst()).allSatisfy { $0 >= $1 })
        for i in 0..<rows {
            for j in 0..<columns {
                var value: Float = 0
                for l in 0..<svd.rank { value += svd.u[i * svd.rank + l] * svd.s[l] * svd.vt[l * columns + j] }
                #expect(abs(value - matrix[i * columns + j]) < 1e-4)
            }
        }
        for a in 0..<svd.rank {
            for b in 0..<svd.rank {
                let uu = (0..<rows).reduce(Float(0)) { $0 + svd.u[$1 * svd.rank + a] * svd.u[$1 * svd.rank + b] }
                let vv = (0..<columns).reduce(Float(0)) { $0 + svd.vt[a * columns + $1] * svd.vt[b * columns + $1] }
                #expect(abs(uu - (a == b ? 1 : 0)) < 1e-5 && abs(vv - (a == b ? 1 : 0)) < 1e-5)
            }
        }
    }

    @Test("training with OSFT keeps every matrix's top singular block UₖᵀWVₖ and moves the weights elsewhere")
    func frozenSubspaceStays() throws {
        let fixture = try TinyFixture()
        defer { fixture.remove() }
        let model = fixture.model
        let sequences = tokenSequences([12, 9, 15, 7], vocabulary: model.config.vocabularySize, seed: 2).map { TrainingSequence(tokens: $0) }
        let subspaces = try OrthogonalSubspaces(model: model, settings: OSFTSettings(unfreezeRankRatio: 0.5))
        let blocksBefore = subspaces.frozenBlocks(model)
        let before = model.withMutableWeights { Array($0) }
        let trainer = try PhaseTrainer(sequences: sequences, settings: TrainingSettings(epochs: 3, learningRate: 1e-2, batchSize: 2), stream: "osft")
        let optimiser = AdamW(model: model, settings: AdamWSettings(weightDecay: 0.1))
        optimiser.constraint = subspaces
        var losses: [Double] = []
        try trainer.run(model: model, optimiser: optimiser) { losses.append($0.loss) }
        #expect(losses.last! < losses.first!, "the model still learns: \(losses)")
        let blocksAfter = subspaces.frozenBlocks(model)
        for ((name, a), (_, b)) in zip(blocksBefore, blocksAfter) {
            let scale = a.map { abs($0) }.max() ?? 1
            let drift = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(drift <= 2e-5 * scale, "\(name): the frozen block moved by \(drift) (entries up to \(scale))")
        }
        let after = model.withMutableWeights { Array($0) }
        let moved = zip(before, after).filter { $0 != $1 }.count
        #expect(moved > after.count / 2, "weights moved: \(moved) of \(after.count)")

        // The same steps without the constraint move the frozen block: the check can fail.
        let free = try TinyFixture()
        defer { free.remove() }
        let unconstrained = AdamW(model: free.model, settings: AdamWSettings(weightDecay: 0.1))
        try trainer.run(model: free.model, optimiser: unconstrained) { _ in }
        let freeBlocks = subspaces.frozenBlocks(free.model)
        let freeDrift = zip(blocksBefore, freeBlocks).map { zip($0.block, $1.block).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(freeDrift > 1e-3, "without OSFT the block drifts \(freeDrift)")
    }
}
