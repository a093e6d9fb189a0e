import Foundation
import LabCLI
import LabCore
import LabTestSupport
import Testing

@Suite struct ModelVerification {
    @Test func aFileOfTheWrongSizeIsReportedWithBothSizes() throws {
        let directory = try TestPaths.temporaryDirectory("verify")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("model.gguf")
        try Data(repeating: 0, count: 100).write(to: file)
        let problem = try ModelInstaller.verificationProblem(at: file)
        #expect(problem == "size 100 bytes, expected \(DefaultModel.byteCount)")
    }

    @Test func theInstalledDefaultModelVerifies() throws {
        let model = try TestPaths.defaultModel()
        #expect(try ModelInstaller.verificationProblem(at: model) == nil)
    }

    @Test func pullIsANoOpWhenTheVerifiedModelIsPresent() throws {
        let model = try TestPaths.defaultModel()
        // A home whose models folder links to the real file: nothing may be downloaded.
        let directory = try TestPaths.temporaryDirectory("pull")
        defer { try? FileManager.default.removeItem(at: directory) }
        let home = SynthlabHome(environment: ["SYNTHLAB_HOME": directory.path])
        try FileManager.default.createDirectory(at: home.modelsDirectory, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: home.defaultModel, withDestinationURL: model)
        let installer = ModelInstaller(home: home, python: "/nonexistent-python")
        #expect(try installer.pullDefaultModel() == .alreadyPresent(home.defaultModel))
    }
}
