import Foundation
import LabCore
import LabGGUF
import LabTestSupport
import Testing

/// Deterministic floats without depending on LabCore's API shape in every test.
struct LabCoreRandom {
    var generator: SeededRandom
    init(seed: UInt64) { generator = SeededRandom(seed: seed) }
    mutating func float() -> Float { generator.nextUnitFloat() }
}

/// A small valid file with metadata of every type and one tensor of each writable type.
func sampleFile() -> (writer: GGUFWriter, values: [Float]) {
    var random = LabCoreRandom(seed: 11)
    let values = (0..<64).map { _ in random.float() * 2 - 1 }
    var writer = GGUFWriter()
    writer.set("general.architecture", .string("llama"))
    writer.set("test.u8", .uint8(200))
    writer.set("test.i8", .int8(-5))
    writer.set("test.u16", .uint16(60000))
    writer.set("test.i16", .int16(-30000))
    writer.set("test.u32", .uint32(4_000_000_000))
    writer.set("test.i32", .int32(-2_000_000_000))
    writer.set("test.u64", .uint64(1 << 40))
    writer.set("test.i64", .int64(-(1 << 40)))
    writer.set("test.f32", .float32(0.25))
    writer.set("test.f64", .float64(-1.5e-7))
    writer.set("test.bool", .bool(true))
    writer.set("test.string", .string("héllo\nwörld"))
    writer.set("test.strings", .array(elementType: .string, [.string("a"), .string(""), .string("Ġthe")]))
    writer.set("test.nested", .array(elementType: .array, [.array(elementType: .int32, [.int32(1), .int32(2)])]))
    writer.set("test.empty", .array(elementType: .float32, []))
    for type in [GGMLType.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1] {
        writer.addTensor("t.\(type)", dimensions: [32, 2], type: type, values: values)
    }
    return (writer, values)
}

@Suite struct Writing {
    @Test func aWrittenFileReadsBackWithEveryValueAndTensor() throws {
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (writer, values) = sampleFile()
        let url = directory.appendingPathComponent("sample.gguf")
        try writer.write(to: url)
        let file = try GGUFFile(url: url)
        #expect(file.metadata.count == 16)
        #expect(file.metadata.map(\.key) == ["general.architecture", "test.u8", "test.i8", "test.u16", "test.i16", "test.u32",
                                              "test.i32", "test.u64", "test.i64", "test.f32", "test.f64", "test.bool",
                                              "test.string", "test.strings", "test.nested", "test.empty"])
        #expect(file["test.empty"] == .array(elementType: .float32, []))
        #expect(file["test.u8"] == .uint8(200) && file["test.i8"] == .int8(-5))
        #expect(file["test.u16"] == .uint16(60000) && file["test.i16"] == .int16(-30000))
        #expect(file["test.u32"] == .uint32(4_000_000_000) && file["test.i32"] == .int32(-2_000_000_000))
        #expect(file["test.u64"] == .uint64(1 << 40) && file["test.i64"] == .int64(-(1 << 40)))
        #expect(file["test.f32"] == .float32(0.25) && file["test.f64"] == .float64(-1.5e-7))
        #expect(file.bool("test.bool") == true)
        #expect(file.string("test.string") == "héllo\nwörld")
        #expect(file.stringArray("test.strings") == ["a", "", "Ġthe"])
        #expect(file["test.nested"] == .array(elementType: .array, [.array(elementType: .int32, [.int32(1), .int32(2)])]))
        #expect(file.tensors.map(\.name) == ["t.F32", "t.F16", "t.BF16", "t.Q8_0", "t.Q4_0", "t.Q4_1", "t.Q5_0", "t.Q5_1"])
        #expect(file.tensors.allSatisfy { $0.offset % 32 == 0 && $0.dimensions == [32, 2] })
        #expect(file.floats(of: file.tensorInfo(named: "t.F32")!) == values)
        for tensor in file.tensors {
            let decoded = file.floats(of: tensor)
            let worst = zip(decoded, values).map { abs($0 - $1) }.max()!
            #expect(worst < 0.15, "\(tensor.name): \(worst)")
            #expect(Array(file.data(of: tensor)) == Quantize.run(tensor.type, values))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files == ["sample.gguf"], "no temporary file left behind")
    }

    @Test func writingOverAnExistingFileReplacesItWhole() throws {
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.gguf")
        try sampleFile().writer.write(to: url)
        var small = GGUFWriter()
        small.set("general.name", .string("second"))
        small.addTensor("only", dimensions: [32], type: .q8_0, values: [Float](repeating: 0.5, count: 32))
        try small.write(to: url)
        let file = try GGUFFile(url: url)
        #expect(file.string("general.name") == "second")
        #expect(file.tensors.map(\.name) == ["only"])
        #expect(try Data(contentsOf: url) == Data(try small.serialized()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.gguf"])
    }

    @Test func tensorsFromABufferEqualTensorsFromAnArray() throws {
        let values = sampleFile().values
        var fromArray = GGUFWriter(), fromBuffer = GGUFWriter()
        fromArray.addTensor("w", dimensions: [32, 2], type: .q4_1, values: values)
        values.withUnsafeBufferPointer { fromBuffer.addTensor("w", dimensions: [32, 2], type: .q4_1, values: $0) }
        #expect(try fromArray.serialized() == fromBuffer.serialized())
    }

    @Test func aFolderThatDoesNotExistIsAWriteError() throws {
        let error = try #require(throws: GGUFError.self) {
            try sampleFile().writer.write(to: URL(fileURLWithPath: "/no/such/folder/m.gguf"))
        }
        #expect(error.kind == .writeFailed && error.description.contains("/no/such/folder"), "\(error)")
    }

    static let badTensors: [(String, @Sendable (inout GGUFWriter) -> Void, String)] = [
        ("a repeated name", { $0.addTensor("t.F32", dimensions: [32], type: .f32, values: .init(repeating: 0, count: 32)) }, "already"),
        ("a 64-byte name", { $0.addTensor(String(repeating: "x", count: 64), dimensions: [32], type: .f32, values: .init(repeating: 0, count: 32)) }, "63"),
        ("five dimensions", { $0.addTensor("t.5d", dimensions: [32, 1, 1, 1, 1], type: .f32, values: .init(repeating: 0, count: 32)) }, "dimensions"),
        ("a zero dimension", { $0.addTensor("t.0", dimensions: [32, 0], type: .f32, values: []) }, "positive"),
        ("a partial block", { $0.addTensor("t.partial", dimensions: [48], type: .q4_1, values: .init(repeating: 0, count: 48)) }, "block size"),
        ("too few values", { $0.addTensor("t.few", dimensions: [32, 2], type: .f32, values: .init(repeating: 0, count: 32)) }, "32 values"),
        ("wrong encoded size", { $0.addTensor("t.bytes", dimensions: [32], type: .q8_0, encoded: .init(repeating: 0, count: 33)) }, "33 bytes"),
        ("a partial K-quant block", { $0.addTensor("t.k", dimensions: [288], type: .q4_K, values: .init(repeating: 0, count: 288)) }, "block size"),
        ("a mixed array", { $0.set("bad.array", .array(elementType: .int32, [.int32(1), .string("x")])) }, "bad.array"),
        ("alignment 24", { $0.alignment = 24 }, "power of two"),
    ]

    @Test(arguments: 0..<badTensors.count)
    func invalidContentIsRefusedBeforeAnythingIsWritten(index: Int) throws {
        let (label, edit, mention) = Self.badTensors[index]
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        var writer = sampleFile().writer
        edit(&writer)
        let url = directory.appendingPathComponent("m.gguf")
        let error = try #require(throws: GGUFError.self, "\(label)") { try writer.write(to: url) }
        #expect(error.kind == .invalidArgument, "\(label): \(error)")
        #expect(error.description.contains(mention), "\(label): \(error)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "\(label): nothing written")
    }

    @Test func aCustomAlignmentIsRecordedAndHonoured() throws {
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        var (writer, _) = sampleFile()
        writer.alignment = 64
        let file = try open(try writer.serialized(), in: directory)
        #expect(file.alignment == 64)
        #expect(file.dataOffset % 64 == 0)
        #expect(file.tensors.allSatisfy { $0.offset % 64 == 0 })
    }
}

@Suite struct CorruptFiles {
    private func expectError(_ bytes: [UInt8], _ kind: GGUFError.Kind, offset: Int? = nil, fieldContains: String = "",
                             detailContains: String = "", sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try open(bytes, in: directory)
            Issue.record("opened a corrupt file", sourceLocation: sourceLocation)
        } catch let error as GGUFError {
            #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
            if let offset { #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation) }
            if !fieldContains.isEmpty { #expect(error.field.contains(fieldContains), "\(error)", sourceLocation: sourceLocation) }
            if !detailContains.isEmpty { #expect(error.detail.contains(detailContains), "\(error)", sourceLocation: sourceLocation) }
            #expect(error.description.contains("m.gguf"), sourceLocation: sourceLocation)
        }
    }

    private func patched(_ bytes: [UInt8], at offset: Int, _ value: some FixedWidthInteger) -> [UInt8] {
        var copy = bytes
        withUnsafeBytes(of: value.littleEndian) { copy.replaceSubrange(offset..<offset + $0.count, with: $0) }
        return copy
    }

    /// Offset of the first byte after `key`'s name in the metadata (i.e. its type field).
    private func offsetAfter(_ text: String, in bytes: [UInt8]) -> Int {
        let needle = Array(text.utf8)
        for start in 0...(bytes.count - needle.count) where Array(bytes[start..<start + needle.count]) == needle {
            return start + needle.count
        }
        return -1
    }

    @Test(arguments: [GGUFFile.Residency.mapped, .hugePages])
    func everyTruncationOfTheHeaderIsAnErrorNotACrash(residency: GGUFFile.Residency) throws {
        let bytes = try sampleFile().writer.serialized()
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try open(bytes, in: directory, residency: residency)
        let dataStart = file.dataOffset
        let dataEnd = dataStart + file.tensors.map { $0.offset + $0.byteCount }.max()!
        for length in Array(0..<dataStart) + [dataStart + 10, dataEnd - 1] {
            #expect(throws: GGUFError.self, "length \(length)") { _ = try open(Array(bytes[..<length]), in: directory, residency: residency) }
        }
    }

    @Test func badMagicAndVersionsAreNamed() throws {
        let bytes = try sampleFile().writer.serialized()
        try expectError(patched(bytes, at: 0, UInt32(0x4C4C_4747)), .badMagic, offset: 0, fieldContains: "magic")
        try expectError(patched(bytes, at: 4, UInt32(1)), .unsupportedVersion(1), offset: 4, fieldContains: "version")
        try expectError(patched(bytes, at: 4, UInt32(4)), .unsupportedVersion(4), offset: 4)
        try expectError(patched(bytes, at: 4, UInt32(3).byteSwapped), .unsupportedVersion(UInt32(3).byteSwapped), offset: 4, detailContains: "big-endian")
    }

    @Test func versionTwoFilesReadLikeVersionThree() throws {
        let bytes = try sampleFile().writer.serialized()
        let directory = try TestPaths.temporaryDirectory("gguf")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try open(patched(bytes, at: 4, UInt32(2)), in: directory)
        #expect(file.version == 2)
        #expect(file.tensors.count == 8 && file.metadata.count == 16)
    }

    @Test func aBadAlignmentValueIsNamed() throws {
        var writer = sampleFile().writer
        writer.alignment = 64
        let bytes = try writer.serialized()
        let value = offsetAfter("general.alignment", in: bytes) + 4
        try expectError(patched(bytes, at: value, UInt32(48)), .implausible, fieldContains: "general.alignment", detailContains: "power of two")
    }

    @Test func invalidUTF8AndBadBooleansAreNamed() throws {
        let bytes = try sampleFile().writer.serialized()
        let key = offsetAfter("test.string", in: bytes) - 1
        try expectError(patched(bytes, at: key, UInt8(0xFF)), .invalidString, offset: key - 10, fieldContains: "metadata[12].key")
        let boolValue = offsetAfter("test.bool", in: bytes) + 4
        try expectError(patched(bytes, at: boolValue, UInt8(2)), .implausible, offset: boolValue, fieldContains: "test.bool")
    }

    @Test func repeatedKeysAndTensorNamesAreRefused() throws {
        let bytes = try sampleFile().writer.serialized()
        // "test.i8" and "test.u8" have the same length, so renaming one keeps the layout intact.
        let second = offsetAfter("test.i8", in: bytes) - 7
        var renamed = bytes
        renamed.replaceSubrange(second..<(second + 7), with: Array("test.u8".utf8))
        try expectError(renamed, .implausible, offset: second - 8, fieldContains: "metadata[2].key", detailContains: "twice")
        let tensor = offsetAfter("t.F16", in: bytes) - 5
        var twin = bytes
        twin.replaceSubrange(tensor..<(tensor + 5), with: Array("t.F32".utf8))
        try expectError(twin, .badTensor, offset: tensor - 8, fieldContains: "tensor_info[1].name", detailContains: "t.F32")
    }

    @Test func aShapeWhoseElementCountOverflowsIsRefused() throws {
        let bytes = try sampleFile().writer.serialized()
        let info = offsetAfter("t.Q8_0", in: bytes)
        try expectError(patched(bytes, at: info + 4 + 8, UInt64(1) << 62), .implausible, offset: info + 4 + 8, fieldContains: "ne")
    }

    @Test func aKnownButUnsupportedTensorTypeIsNamed() throws {
        let bytes = try sampleFile().writer.serialized()
        let tensorType = offsetAfter("t.F32", in: bytes) + 4 + 16
        try expectError(patched(bytes, at: tensorType, UInt32(10)), .unknownTensorType(10), offset: tensorType, detailContains: "Q2_K")
        try expectError(patched(bytes, at: tensorType, UInt32(99)), .unknownTensorType(99), offset: tensorType, detailContains: "unknown")
    }

    @Test func absurdCountsAndLengthsAreCaughtBeforeAllocating() throws {
        let bytes = try sampleFile().writer.serialized()
        try expectError(patched(bytes, at: 8, UInt64.max), .implausible, offset: 8, fieldContains: "tensor_count")
        try expectError(patched(bytes, at: 16, UInt64(1) << 50), .implausible, offset: 16, fieldContains: "kv_count")
        // The first key's length field sits right after the header.
        try expectError(patched(bytes, at: 24, UInt64(1) << 40), .truncated, offset: 24, fieldContains: "metadata[0].key")
        let afterStrings = offsetAfter("test.strings", in: bytes)
        try expectError(patched(bytes, at: afterStrings + 8, UInt64(1) << 60), .implausible, fieldContains: "test.strings")
    }

    @Test func unknownTypesAreNamed() throws {
        let bytes = try sampleFile().writer.serialized()
        let typeField = offsetAfter("test.u8", in: bytes)
        try expectError(patched(bytes, at: typeField, UInt32(99)), .unknownValueType(99), offset: typeField, fieldContains: "test.u8")
        let tensorType = offsetAfter("t.F32", in: bytes) + 4 + 16
        try expectError(patched(bytes, at: tensorType, UInt32(21)), .unknownTensorType(21), offset: tensorType, fieldContains: "t.F32")
    }

    @Test func badTensorShapesAndOffsetsAreNamed() throws {
        let bytes = try sampleFile().writer.serialized()
        let info = offsetAfter("t.Q8_0", in: bytes)
        try expectError(patched(bytes, at: info, UInt32(5)), .implausible, fieldContains: "n_dims")
        try expectError(patched(bytes, at: info + 4, UInt64(0)), .implausible, fieldContains: "ne[0]")
        try expectError(patched(bytes, at: info + 4, UInt64(33)), .badTensor, fieldContains: "ne[0]")
        try expectError(patched(bytes, at: info + 4 + 16 + 4, UInt64(7)), .badTensor, fieldContains: "offset")
        try expectError(patched(bytes, at: info + 4 + 16 + 4, UInt64(0)), .badTensor, fieldContains: "t.")
        try expectError(patched(bytes, at: info + 4 + 16 + 4, UInt64(1) << 32), .truncated, fieldContains: "t.Q8_0")
        try expectError(patched(bytes, at: info + 4 + 8, UInt64(1) << 40), .truncated, fieldContains: "t.Q8_0")
    }

    @Test func aMissingFileAndANonFileSayWhat() {
        #expect(throws: GGUFError.self) { try GGUFFile(url: URL(fileURLWithPath: "/no/such/model.gguf")) }
        #expect(throws: GGUFError.self) { try GGUFFile(url: URL(fileURLWithPath: "/tmp")) }
    }
}
