import Foundation
import LabCore
import LabDocuments
import Testing

@Suite struct DocumentLoading {
    func decode(_ bytes: [UInt8], path: String = "doc.md") throws(DocumentError) -> SourceDocument {
        try DocumentLoader.decode(Data(bytes), path: path)
    }

    func failure(_ bytes: [UInt8], path: String = "doc.md") -> DocumentError? {
        do {
            _ = try decode(bytes, path: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func theByteOrderMarkIsStrippedAndLineEndsBecomeLF() throws {
        let document = try decode([0xEF, 0xBB, 0xBF] + Array("# Title\r\nline one\rline two\r\n\r\nend".utf8))
        #expect(document.text == "# Title\nline one\nline two\n\nend")
        #expect(document.contentHash == ContentHash.sha256Hex("# Title\nline one\nline two\n\nend"))
        #expect(document.wordCount == 7)  // "#", "Title", "line", "one", "line", "two", "end"
        #expect(document.path == "doc.md")
    }

    @Test func multibyteTextSurvivesDecoding() throws {
        let text = "Umsatz stieg um 12 % — 東京 🚀\n"
        #expect(try decode(Array(text.utf8)).text == text)
    }

    static let invalidUTF8: [(bytes: [UInt8], offset: Int, line: Int, column: Int)] = [
        (Array("abc".utf8) + [0xFF], 3, 1, 4),                 // never valid
        (Array("ab\ncd".utf8) + [0xC3], 5, 2, 3),              // truncated 2-byte sequence
        (Array("x".utf8) + [0xC0, 0xAF], 1, 1, 2),             // overlong "/"
        ([0xED, 0xA0, 0x80], 0, 1, 1),                         // UTF-16 surrogate U+D800
        ([0xF4, 0x90, 0x80, 0x80], 0, 1, 1),                   // above U+10FFFF
        ([0xEF, 0xBB, 0xBF] + Array("ok\n".utf8) + [0xE2, 0x82], 6, 2, 1),  // offsets count the BOM
        (Array("é".utf8) + [0x80], 2, 1, 3),                   // stray continuation byte
    ]

    @Test(arguments: invalidUTF8)
    func invalidUTF8IsReportedAtTheFirstBadByte(_ row: (bytes: [UInt8], offset: Int, line: Int, column: Int)) {
        let error = failure(row.bytes)
        #expect(error?.reason == .invalidUTF8(byteOffset: row.offset))
        #expect(error?.location == SourceLocation(path: "doc.md", line: row.line, column: row.column))
        #expect(error?.description.contains("byte offset \(row.offset)") == true)
    }

    @Test func theValidatorAgreesWithSwiftsDecoderOnRandomBytes() {
        var random = SeededRandomForTests(seed: 11)
        let interesting: [UInt8] = [0x41, 0x0A, 0x80, 0xBF, 0xC2, 0xC0, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF]
        for _ in 0..<5_000 {
            let bytes = (0..<random.int(1...8)).map { _ in random.pick(interesting) }
            let swiftAccepts = String(validating: bytes, as: UTF8.self) != nil
            let error = failure(bytes)
            let weReject: Bool
            if case .invalidUTF8 = error?.reason { weReject = true } else { weReject = false }
            #expect(weReject == !swiftAccepts, "bytes \(bytes.map { String($0, radix: 16) })")
        }
    }

    @Test func aNulByteMeansBinary() {
        let error = failure(Array("PK".utf8) + [0x03, 0x04, 0x00, 0x14])
        #expect(error?.reason == .binary(byteOffset: 4))
        #expect(error?.hint.contains("Markdown") == true)
    }

    @Test(arguments: [[], [0xEF, 0xBB, 0xBF], Array(" \n\r\n\t".utf8)] as [[UInt8]])
    func aFileWithoutWordsIsEmpty(_ bytes: [UInt8]) {
        #expect(failure(bytes)?.reason == .empty)
    }

    @Test func aFileOverTenMebibytesIsRefusedWithAHintToSplitIt() throws {
        let project = try ProjectFixture("loader-large")
        defer { project.remove() }
        let line = Data("twelve words of filler text repeated until the file is large enough\n".utf8)
        var data = Data()
        while data.count <= DocumentLoader.maximumByteCount { data.append(line) }
        try project.write("documents/big.md", data)
        #expect {
            _ = try DocumentLoader.load(
                fileAt: project.documents.appendingPathComponent("big.md"), displayPath: "documents/big.md")
        } throws: { error in
            guard let error = error as? DocumentError else { return false }
            return error.reason == .tooLarge(byteCount: data.count) && error.hint.contains("split")
                && error.location.path == "documents/big.md"
        }
        // Exactly at the limit is still accepted.
        try project.write("documents/limit.md", data.prefix(DocumentLoader.maximumByteCount))
        let document = try DocumentLoader.load(
            fileAt: project.documents.appendingPathComponent("limit.md"), displayPath: "limit.md")
        #expect(document.text.utf8.count == DocumentLoader.maximumByteCount)
    }

    @Test(arguments: [("a.md", true), ("a.MARKDOWN", true), ("a.txt", true), ("a.pdf", false), ("README", false), (".md", false)])
    func onlyMarkdownAndTextExtensionsAreAccepted(_ row: (path: String, accepted: Bool)) {
        #expect(DocumentLoader.hasAcceptedExtension(row.path) == row.accepted)
    }

    @Test func aMissingFileIsUnreadable() {
        #expect {
            _ = try DocumentLoader.load(fileAt: URL(fileURLWithPath: "/nonexistent/x.md"), displayPath: "x.md")
        } throws: { error in
            guard let error = error as? DocumentError, case .unreadable = error.reason else { return false }
            return true
        }
    }
}
