import Foundation
import LabDocuments
import LabTestSupport
import Testing

@Suite("zlib entropy")
struct ZlibEntropyTests {
    /// Python 3.11: `len(zlib.compress(open("documents/finance/financial-ratios.md").read().encode()))` = 4893 of 12945 bytes.
    @Test("the stream is the size Python's zlib.compress gives")
    func matchesPython() throws {
        let text = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("documents/finance/financial-ratios.md"), encoding: .utf8)
        #expect(text.utf8.count == 12945)
        #expect(ZlibEntropy.compressedSize(text) == 4893)
        #expect(ZlibEntropy.bitsPerByte(text) == 8 * 4893.0 / 12945.0)
        #expect(ZlibEntropy.bitsPerByte("") == nil)
        // Repetition compresses: a repeated sentence costs far fewer bits per byte than varied text.
        let repeated = String(repeating: "The balance sheet balances. ", count: 40)
        #expect(try #require(ZlibEntropy.bitsPerByte(repeated)) < 0.5)
    }
}
