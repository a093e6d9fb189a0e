import Foundation
public import LabTensor

/// Orthogonal subspace fine-tuning (OSFT; Nayak et al., 2025, "Sculpting Subspaces"): every
/// projection matrix keeps the span of its top singular vectors, as they were when the phase
/// began, and only moves in the orthogonal complement, so what those directions encode is kept
/// without replaying old data.
public struct OSFTSettings: Sendable, Codable, Equatable {
    /// Share of each matrix's rank left free to train: the top (1 − ratio) of its singular
    /// directions are frozen.
    public var unfreezeRankRatio: Double

    public init(unfreezeRankRatio: Double = 0.25) {
        self.unfreezeRankRatio = unfreezeRankRatio
    }
}

/// The frozen subspaces of a model's projection matrices (attention q/k/v/output and the feed
/// forward's gate/up/down of every block), and the constraint that keeps updates out of them:
/// after each optimiser step, the step's change Δ of a matrix W is replaced by
/// (I − U_k·U_kᵀ)·Δ·(I − V_k·V_kᵀ), where U_k, V_k are W's top-k singular vectors at the start.
/// Then U_kᵀ·W·V_k — and each frozen singular triplet — never changes. The embedding and the
/// norm weights train without constraint.
public final class OrthogonalSubspaces: @unchecked Sendable {
    struct Frozen {
        var name: String
        var offset: Int
        var rows: Int
        var columns: Int
        /// U_k, (rows × k) row-major.
        var left: [Float]
        /// V_kᵀ, (k × columns) row-major.
        var rightTransposed: [Float]
        var k: Int
    }

    let frozen: [Frozen]
    public let settings: OSFTSettings

    /// Decomposes every projection matrix of `model`'s current weights (the phase's start).
    public init(model: TrainableDecoder, settings: OSFTSettings) throws(TrainingError) {
        self.settings = settings
        let names = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        let tensors = model.layout.tensors.filter { tensor in
            tensor.isMatrix && tensor.name.hasPrefix("blk.") && names.contains { tensor.name.hasSuffix(".\($0).weight") }
        }
        var frozen: [Frozen?] = Array(repeating: nil, count: tensors.count)
        let weights = model.weights.pointer
        var failed: String?
        for (index, tensor) in tensors.enumerated() {
            let (columns, rows) = (tensor.dimensions[0], tensor.dimensions[1])
            guard let svd = SingularValueDecomposition(weights + tensor.offset, rows: rows, columns: columns) else {
                failed = tensor.name
                break
            }
            let k = min(svd.rank, max(0, Int((Double(svd.rank) * (1 - settings.unfreezeRankRatio)).rounded())))
            var left = [Float](repeating: 0, count: rows * k)
            for i in 0..<rows { for j in 0..<k { left[i * k + j] = svd.u[i * svd.rank + j] } }
            frozen[index] = Frozen(name: tensor.name, offset: tensor.offset, rows: rows, columns: columns, left: left,
                                   rightTransposed: Array(svd.vt.prefix(k * columns)), k: k)
        }
        if let failed { throw TrainingError.decomposition(tensor: failed) }
        self.frozen = frozen.compactMap { $0 }
    }

    /// Copies of the constrained matrices before an update.
    func snapshot(_ model: TrainableDecoder) -> [[Float]] {
        let weights = model.weights.pointer
        return frozen.map { Array(UnsafeBufferPointer(start: weights + $0.offset, count: $0.rows * $0.columns)) }
    }

    /// Projects each matrix's change since `before` onto the complement of its frozen subspaces.
    func constrain(_ model: TrainableDecoder, since before: [[Float]]) {
        let weights = model.weights.pointer
        for (matrix, old) in zip(frozen, before) {
            let w = weights + matrix.offset
            let n = matrix.rows * matrix.columns
            var delta = [Float](repeating: 0, count: n)
            for i in 0..<n { delta[i] = w[i] - old[i] }
            matrix.left.withUnsafeBufferPointer { left in
                matrix.rightTransposed.withUnsafeBufferPointer { right in
                    projectOntoComplement(&delta, rows: matrix.rows, columns: matrix.columns, left: left.baseAddress!, leftRank: matrix.k,
                                          rightTransposed: right.baseAddress!, rightRank: matrix.k)
                }
            }
            for i in 0..<n { w[i] = old[i] + delta[i] }
        }
    }

    /// U_kᵀ·W·V_k of every constrained matrix under `model`'s current weights (k × k each): what OSFT keeps.
    public func frozenBlocks(_ model: TrainableDecoder) -> [(name: String, block: [Float])] {
        frozen.map { matrix in
            let w = model.weights.pointer + matrix.offset
            var block = [Float](repeating: 0, count: matrix.k * matrix.k)
            for a in 0..<matrix.k {
                for b in 0..<matrix.k {
                    var sum = 0.0
                    for i in 0..<matrix.rows {
                        var row = 0.0
                        for j in 0..<matrix.columns { row += Double(w[i * matrix.columns + j]) * Double(matrix.rightTransposed[b * matrix.columns + j]) }
                        sum += Double(matrix.left[i * matrix.k + a]) * row
                    }
                    block[a * matrix.k + b] = Float(sum)
                }
            }
            return (matrix.name, block)
        }
    }
}
