import Foundation
import LabGGUF
import LabLLM
import LabTensor

/// The frozen base matrices of a QLoRA model (Dettmers et al. 2023), left in the GGUF file's own
/// block format (Q4_1, Q8_0, Q4_K, … — any format `Dequantize` decodes) inside the file's memory
/// map: no float copy of the base exists. Each product dequantizes a tile of rows into a small
/// scratch buffer and multiplies with it, forward and backward (the input gradient only; the
/// base never trains).
final class QuantizedBase: @unchecked Sendable {
    struct Matrix {
        let type: GGMLType
        let bytes: UnsafeRawBufferPointer
        let rows: Int
        let inputs: Int
        let rowBytes: Int
    }

    /// Kept so the mapping the matrices point into stays valid.
    private let file: GGUFFile
    /// Every matrix a product reads (a whole tensor, or a part of a fused one), by its offset in
    /// the model's parameter layout.
    private let matrices: [Int: Matrix]
    /// Every matrix tensor as stored, by offset (checkpoints write whole tensors).
    private let tensors: [Int: Matrix]
    /// Rows per dequantized tile: about 1 MB of floats whatever the row length.
    private static let tileElements = 1 << 18

    init(file: GGUFFile, layout: ParameterLayout) throws(ModelError) {
        var tensors: [Int: Matrix] = [:]
        var byName: [String: Matrix] = [:]
        for tensor in layout.tensors where tensor.isMatrix {
            guard let info = file.tensorInfo(named: tensor.name) else {
                throw ModelError(path: file.path, field: tensor.name, "tensor is missing", hint: "is this a complete GGUF model?")
            }
            let inputs = tensor.dimensions[0], rows = tensor.dimensions[1]
            guard let rowBytes = info.type.byteCount(elements: inputs) else {
                throw ModelError(path: file.path, field: tensor.name, "rows of \(inputs) \(info.type) values are not whole blocks")
            }
            let matrix = Matrix(type: info.type, bytes: file.data(of: info), rows: rows, inputs: inputs, rowBytes: rowBytes)
            tensors[tensor.offset] = matrix
            byName[tensor.name] = matrix
        }
        var matrices: [Int: Matrix] = [:]
        for view in layout.views {
            guard let whole = byName[view.tensor] else { continue }
            let start = view.firstRow * whole.rowBytes
            matrices[view.offset] = Matrix(type: whole.type, bytes: UnsafeRawBufferPointer(rebasing: whole.bytes[start..<(start + view.outputs * whole.rowBytes)]),
                                           rows: view.outputs, inputs: view.inputs, rowBytes: whole.rowBytes)
        }
        self.file = file
        self.matrices = matrices
        self.tensors = tensors
    }

    /// Dequantizes the whole matrix tensor at `offset` (as stored, fused parts together).
    func dequantizeTensor(_ offset: Int, into destination: UnsafeMutablePointer<Float>) {
        guard let m = tensors[offset] else { preconditionFailure("no base tensor at offset \(offset)") }
        Dequantize.run(m.type, from: m.bytes, count: m.rows * m.inputs, into: destination)
    }

    /// Bytes the quantized matrices take (what QLoRA keeps of the base).
    var byteCount: Int { tensors.values.reduce(0) { $0 + $1.rows * $1.rowBytes } }

    func matrix(at offset: Int) -> Matrix {
        guard let matrix = matrices[offset] else { preconditionFailure("no base matrix at offset \(offset)") }
        return matrix
    }

    /// Dequantizes rows `range` of the matrix at `offset` into `destination` (row-major).
    func dequantize(_ offset: Int, rows range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let m = matrix(at: offset)
        let slice = UnsafeRawBufferPointer(rebasing: m.bytes[(range.lowerBound * m.rowBytes)..<(range.upperBound * m.rowBytes)])
        Dequantize.run(m.type, from: slice, count: range.count * m.inputs, into: destination)
    }

    /// The tiles of rows a product walks.
    func tiles(_ offset: Int) -> [Range<Int>] {
        let m = matrix(at: offset)
        let step = max(1, Self.tileElements / max(1, m.inputs))
        return stride(from: 0, to: m.rows, by: step).map { $0..<min(m.rows, $0 + step) }
    }

    /// out (T × outputs) (+)= x · Wᵀ, one dequantized tile of W's rows at a time.
    func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, offset: Int, rows T: Int, accumulate: Bool,
                 scratch: UnsafeMutablePointer<Float>) {
        let m = matrix(at: offset)
        for tile in tiles(offset) {
            dequantize(offset, rows: tile, into: scratch)
            matmulForward(out + tile.lowerBound, x, scratch, rows: T, inputs: m.inputs, outputs: tile.count, outStride: m.rows,
                          accumulate: accumulate)
        }
    }

    /// dx (T × inputs) (+)= dout · W, one dequantized tile of W's rows at a time.
    func backwardInput(_ dx: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, offset: Int, rows T: Int, accumulate: Bool,
                       scratch: UnsafeMutablePointer<Float>) {
        let m = matrix(at: offset)
        for (index, tile) in tiles(offset).enumerated() {
            dequantize(offset, rows: tile, into: scratch)
            matmulBackward(dx: dx, dw: nil, dout: dout + tile.lowerBound, x: dout, w: scratch, rows: T, inputs: m.inputs,
                           outputs: tile.count, doutStride: m.rows, accumulateInput: accumulate || index > 0)
        }
    }

    /// Scratch floats a product needs.
    static var scratchCount: Int { tileElements + (1 << 14) }
}
