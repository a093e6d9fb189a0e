import ArgumentParser
import LabCLI

// The root command lives in LabCLI (so tests can drive it); this target only marks the entry point.
@main
extension SynthlabCommand {}
