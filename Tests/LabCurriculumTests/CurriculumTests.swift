import Foundation
import LabCurriculum
import LabGGUF
import LabStore
import LabTestSupport
import LabTokenizer
import LabTrain
import Testing

/// Knowledge samples over two chunks of one leaf and another leaf, and skill samples of two leaves.
func sampleExamples(knowledgePerLeaf: Int = 5, skillsPerLeaf: Int = 5) -> [TrainingExample] {
    var examples: [TrainingExample] = []
    for leaf in ["knowledge/a", "knowledge/b"] {
        for i in 0..<knowledgePerLeaf {
            let chunk = "\(leaf)#\(i % 2)"
            let chunkText = "Chunk \(chunk) says fact \(i % 2) about \(leaf)."
            examples.append(TrainingExample(
                id: "\(leaf)/\(i)", leaf: leaf, kind: .knowledge, system: "sys", question: "What is fact \(i)?",
                user: chunkText + "\n\nWhat is fact \(i)?", assistant: String(repeating: "x", count: 10 + (i * 7) % 13),
                chunkID: chunk, chunkText: chunkText))
        }
    }
    for leaf in ["skills/c", "skills/d"] {
        for i in 0..<skillsPerLeaf {
            examples.append(TrainingExample(id: "\(leaf)/\(i)", leaf: leaf, kind: .skill, system: "sys", question: "Do \(i)",
                                            user: "Do \(i)", assistant: "Done \(i)."))
        }
    }
    return examples
}

@Suite("Curriculum: held-out split, phases, replay and RAFT")
struct CurriculumTests {
    @Test("each leaf holds out its share, and held-out samples appear in no phase")
    func heldOut() throws {
        let curriculum = try Curriculum(examples: sampleExamples(), settings: CurriculumSettings(heldOutFraction: 0.2))
        let held = Set(curriculum.heldOut.map(\.id))
        #expect(curriculum.heldOut.count == 4, "one of five per leaf")
        for leaf in ["knowledge/a", "knowledge/b", "skills/c", "skills/d"] {
            #expect(curriculum.heldOut.filter { $0.leaf == leaf }.count == 1)
        }
        for phase in curriculum.phases {
            #expect(phase.rows.allSatisfy { !held.contains($0.exampleID) }, "\(phase.phase) trains on a held-out sample")
        }
        let again = try Curriculum(examples: sampleExamples().reversed(), settings: CurriculumSettings(heldOutFraction: 0.2))
        #expect(Set(again.heldOut.map(\.id)) == held, "the split depends on the seed, not the input order")
        let other = try Curriculum(examples: sampleExamples(), settings: CurriculumSettings(heldOutFraction: 0.2, seed: 7))
        #expect(Set(other.heldOut.map(\.id)) != held, "another seed holds out other samples")
    }

    @Test("phase 1 is knowledge, unmasked, short answers first")
    func knowledgePhase() throws {
        let curriculum = try Curriculum(examples: sampleExamples(), settings: CurriculumSettings())
        let phase = try #require(curriculum.phases.first)
        #expect(phase.phase == .knowledge)
        #expect(phase.rows.count == 8)
        #expect(phase.rows.allSatisfy { $0.unmask && $0.role == .primary && $0.leaf.hasPrefix("knowledge/") })
        let lengths = phase.rows.map(\.assistant.count)
        #expect(lengths == lengths.sorted())
    }

    @Test("phase 2 mixes skills with replay-ratio × skills knowledge rows, half as RAFT", arguments: [0.0, 0.3, 0.5, 1.0])
    func replay(ratio: Double) throws {
        let curriculum = try Curriculum(examples: sampleExamples(skillsPerLeaf: 10), settings: CurriculumSettings(replayRatio: ratio))
        let phase = try #require(curriculum.phases.last)
        #expect(phase.phase == .skills)
        let skills = phase.rows.filter { $0.role == .primary }
        let replay = phase.rows.filter { $0.role != .primary }
        #expect(skills.count == 16 && skills.allSatisfy { !$0.unmask })
        #expect(replay.count == Int((16 * ratio).rounded()))
        let raft = replay.filter { $0.role == .raft }
        #expect(raft.count == replay.count / 2)
        for row in raft {
            let original = try #require(sampleExamples(skillsPerLeaf: 10).first { $0.id == row.exampleID })
            #expect(row.user.contains(original.chunkText!), "the right chunk is in the RAFT row")
            #expect(row.user.components(separatedBy: "Document ").count - 1 == 3, "with two distractors")
            #expect(row.user.hasSuffix(original.question) && !row.unmask)
        }
        let replayed = replay.filter { $0.role == .replay }
        #expect(replayed.allSatisfy { $0.unmask })
    }

    @Test("a phase without samples is refused with the reason")
    func emptyPhase() {
        let skillsOnly = sampleExamples().filter { $0.kind == .skill }
        #expect(throws: CurriculumError.emptyPhase(.knowledge, held: 0)) {
            try Curriculum(examples: skillsOnly, settings: CurriculumSettings())
        }
        #expect(throws: Never.self) { try Curriculum(examples: skillsOnly, settings: CurriculumSettings(phases: [.skills])) }
        let text = CurriculumError.emptyPhase(.skills, held: 2).description
        #expect(text.contains("skills phase") && text.contains("2 were held out") && text.contains("--phases"))
    }

    @Test("InstructLab JSONL: rows read with leaf and kind; a bad line names file and line")
    func jsonl() async throws {
        let directory = try TestPaths.temporaryDirectory("jsonl")
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("train.jsonl")
        try """
            {"id":"k1","messages":[{"role":"system","content":"S"},{"role":"user","content":"U"},{"role":"assistant","content":"A"}],"metadata":"{\\"leaf\\":\\"knowledge/x\\"}","unmask":true}

            {"messages":[{"role":"user","content":"U2"},{"role":"assistant","content":"A2"}],"unmask":false}
            """.write(to: good, atomically: true, encoding: .utf8)
        let rows = try TrainingExample.readJSONL(good)
        #expect(rows.count == 2)
        #expect(rows[0].id == "k1" && rows[0].leaf == "knowledge/x" && rows[0].kind == .knowledge && rows[0].system == "S")
        #expect(rows[1].kind == .skill && rows[1].leaf == "train" && rows[1].id == "train.jsonl:3")
        let bad = directory.appendingPathComponent("bad.jsonl")
        try "{\"messages\":[{\"role\":\"user\",\"content\":\"U\"},{\"role\":\"assistant\",\"content\":\"A\"}]}\n{\"messages\": []}\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let error = try #require(await thrownError(TrainingDataError.self, by: { try TrainingExample.readJSONL(bad) }))
        #expect(error.description.hasPrefix("\(bad.path):2: no user message"))
    }
}

@Suite("Encoding rows for training")
struct SequenceEncoderTests {
    @Test("the loss covers the answer and its end-of-turn markup; unmask covers everything; long rows are skipped")
    func masks() throws {
        let directory = try TestPaths.temporaryDirectory("encode")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tiny.gguf")
        try TinyDecoderModel.write(to: url, seed: 1)
        let tokenizer = try Tokenizer(TokenizerVocabulary(gguf: GGUFFile(url: url)))
        let template = try #require(tokenizer.recognizedChatTemplate)
        let encoder = SequenceEncoder(tokenizer: tokenizer, template: template, maximumLength: 200)
        let masked = try #require(try encoder.encode(system: "Be brief.", user: "Say hi", assistant: "hi there", unmask: false))
        let scoredText = tokenizer.decode(zip(masked.tokens, masked.scored).filter(\.1).map(\.0), renderSpecial: true)
        #expect(scoredText == "hi there<|im_end|>\n")
        #expect(!masked.scored[0])
        let unmasked = try #require(try encoder.encode(system: "Be brief.", user: "Say hi", assistant: "hi there", unmask: true))
        #expect(unmasked.tokens == masked.tokens && unmasked.scoredCount == unmasked.tokens.count - 1)
        #expect(try encoder.encode(system: "s", user: String(repeating: "long ", count: 300), assistant: "a", unmask: false) == nil)
        let windows = encoder.encodeText(String(repeating: "The river rose. ", count: 40), window: 64)
        #expect(windows.count >= 2 && windows.dropLast().allSatisfy { $0.tokens.count == 64 })
    }
}
