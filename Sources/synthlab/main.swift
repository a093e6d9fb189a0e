import ArgumentParser
import LabCLI

// The root command lives in LabCLI (so tests can drive it); this file is the entry point.
// OpenBLAS picks its kernel when it loads, so a needed re-launch comes before anything else.
BLASLaunch.relaunchWithFastKernelIfNeeded()
do {
    var command = try SynthlabCommand.parseAsRoot()
    if var asynchronous = command as? any AsyncParsableCommand {
        try await asynchronous.run()
    } else {
        try command.run()
    }
} catch {
    SynthlabCommand.exit(withError: error)
}
