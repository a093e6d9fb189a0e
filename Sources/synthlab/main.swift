import ArgumentParser
import LabCLI

// The root command lives in LabCLI (so tests can drive it); this file is the entry point.
// OpenBLAS picks its kernel when it loads, so a needed re-launch comes before anything else.
BLASLaunch.relaunchWithFastKernelIfNeeded()
BLASLaunch.skipLibraryShutdownAtExit()
await SynthlabCommand.runAsRoot()
