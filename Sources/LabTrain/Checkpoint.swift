public import Foundation
public import LabGGUF

extension TrainableDecoder {
    /// Writes the current weights as a GGUF model that this engine and llama.cpp load: the base
    /// file's metadata (tokenizer, chat template, hyper-parameters) with `general.file_type`
    /// updated, and every tensor under its original name. The write is atomic (temporary file,
    /// then rename), so a kill mid-save leaves the previous checkpoint intact.
    public func writeCheckpoint(to url: URL, precision: CheckpointPrecision, extraMetadata: [(String, GGUFValue)] = []) throws {
        var writer = GGUFWriter()
        for (key, value) in metadata where key != "general.alignment" {
            writer.set(key, value)
        }
        writer.set("general.file_type", .uint32(precision.fileType))
        for (key, value) in extraMetadata { writer.set(key, value) }
        // With LoRA attached the file holds the merged weights: W + scale·B·A per adapted matrix;
        // a quantized base (QLoRA) is dequantized one tensor at a time, so the float copy never
        // exists whole.
        for tensor in layout.tensors {
            let type: GGMLType = tensor.isMatrix && tensor.dimensions[0] % precision.tensorType.blockSize == 0 ? precision.tensorType : .f32
            // A fused tensor (Phi-3's attn_qkv) may carry one adapter per part.
            let range = tensor.offset..<(tensor.offset + tensor.count)
            let adapters = tensor.isMatrix ? lora?.adapters.filter { range.contains($0.baseOffset) } ?? [] : []
            guard (quantized != nil && tensor.isMatrix) || !adapters.isEmpty else {
                writer.addTensor(tensor.name, dimensions: tensor.dimensions, type: type,
                                 values: UnsafeBufferPointer(start: weights.pointer + tensor.offset, count: tensor.count))
                continue
            }
            let values = FloatBuffer(count: tensor.count)
            if let quantized {
                quantized.dequantizeTensor(tensor.offset, into: values.pointer)
            } else {
                values.pointer.update(from: weights.pointer + tensor.offset, count: tensor.count)
            }
            if let lora {
                for adapter in adapters { lora.addDelta(adapter, into: values.pointer + (adapter.baseOffset - tensor.offset)) }
            }
            writer.addTensor(tensor.name, dimensions: tensor.dimensions, type: type, values: UnsafeBufferPointer(start: values.pointer, count: tensor.count))
        }
        try writer.write(to: url)
    }
}
