import Foundation
import LabGGUF
import LabTestSupport

enum Fixture {
    static func json(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else { throw MissingFixture(description: "\(name).json not in the test bundle") }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }
}

func dequantized(_ type: GGMLType, _ bytes: [UInt8]) -> [Float] {
    let count = bytes.count / type.bytesPerBlock * type.blockSize
    var values = [Float](repeating: .nan, count: count)
    bytes.withUnsafeBytes { raw in
        values.withUnsafeMutableBufferPointer { Dequantize.run(type, from: raw, count: count, into: $0.baseAddress!) }
    }
    return values
}

/// Writes `bytes` to a temporary .gguf and opens it; the caller removes the folder.
func open(_ bytes: [UInt8], in directory: URL, name: String = "m.gguf", residency: GGUFFile.Residency = .mapped) throws -> GGUFFile {
    let url = directory.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return try GGUFFile(url: url, residency: residency)
}
