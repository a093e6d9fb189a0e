import Foundation
import LabDocuments
import Testing

@Suite struct DocumentDecoding {
    @Test func aByteOrderMarkIsRemovedAndLineEndingsBecomeLF() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("one\r\ntwo\rthree\n".utf8)
        #expect(try DocumentText.decode(Data(bytes)) == "one\ntwo\nthree\n")
    }

    @Test func invalidUTF8IsRefusedWithTheOffsetOfTheFirstBadByte() {
        let bytes: [UInt8] = Array("héllo ".utf8) + [0xC3, 0x28] + Array(" more".utf8)
        #expect(throws: DocumentText.Refusal.invalidUTF8(byteOffset: 7)) { try DocumentText.decode(Data(bytes)) }
    }

    @Test(arguments: [
        ([0xC0, 0xAF] as [UInt8], 0),           // overlong '/'
        ([0x61, 0xED, 0xA0, 0x80], 1),          // UTF-16 surrogate
        ([0x61, 0x62, 0xF4, 0x90, 0x80, 0x80], 2), // past U+10FFFF
        ([0x61, 0xE2, 0x82], 1),                // truncated sequence
    ])
    func malformedSequencesAreFound(bytes: [UInt8], offset: Int) {
        #expect(DocumentText.firstInvalidUTF8Offset(bytes) == offset)
    }

    @Test func validMultibyteTextPasses() {
        #expect(DocumentText.firstInvalidUTF8Offset(Array("€ 10 — ünïcode 𝄞".utf8)) == nil)
    }

    @Test func binaryEmptyAndOversizedFilesAreRefused() {
        #expect(throws: DocumentText.Refusal.binary(nulOffset: 3)) { try DocumentText.decode(Data([0x61, 0x62, 0x63, 0, 0x64])) }
        #expect(throws: DocumentText.Refusal.empty) { try DocumentText.decode(Data()) }
        #expect(throws: DocumentText.Refusal.empty) { try DocumentText.decode(Data(" \n\n ".utf8)) }
        let big = Data(repeating: 0x61, count: DocumentText.maximumByteCount + 1)
        #expect(throws: DocumentText.Refusal.tooLarge(byteCount: big.count)) { try DocumentText.decode(big) }
    }

    @Test func wordsAreCountedBetweenWhitespace() {
        #expect(DocumentText.wordCount("  Net income\trose 12%\nin 2024. ") == 6)
        #expect(DocumentText.wordCount("") == 0)
    }
}
