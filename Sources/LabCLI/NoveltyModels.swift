import Foundation
import LabCore
import LabCurriculum
import LabGeneration

/// How the CLI loads novelty scorers: model paths as the user wrote them (relative to the current
/// folder), the default model when a block names none.
enum NoveltyModels {
    static func url(_ path: String) -> URL {
        URL(fileURLWithPath: (path as NSString).expandingTildeInPath)
    }

    static func factory(threads: Int?) -> NoveltyScorerFactory {
        { model, reference in
            let target = model.map(url) ?? SynthlabHome().defaultModel
            for file in [target] + (reference.map { [url($0)] } ?? []) where !FileManager.default.fileExists(atPath: file.path) {
                throw CLIError("no model at \(file.path)", hint: "check the novelty block's 'model' and 'reference' paths")
            }
            return try ModelNoveltyScorer(target: target, reference: reference.map(url), threads: threads)
        }
    }
}
