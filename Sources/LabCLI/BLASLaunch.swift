import Foundation
import LabTensor
#if canImport(Glibc)
import Glibc
#endif

/// Re-launches the process once with `OPENBLAS_CORETYPE` set when OpenBLAS fell back to its
/// generic kernel on a CPU that can run a fast one (see `BLASCore`). The variable is checked
/// first, so a user's own choice is kept and the re-launch happens at most once.
public enum BLASLaunch {
    public static func relaunchWithFastKernelIfNeeded() {
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil,
              let core = BLASCore.betterCoreType() else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        let executable = "/proc/self/exe"
        var arguments = CommandLine.arguments.map { strdup($0) }
        arguments.append(nil)
        execv(executable, &arguments)
        // exec failed: carry on with the slow kernel rather than not at all.
    }

    /// Ends the process without OpenBLAS's library destructor. At exit OpenBLAS joins its worker
    /// threads (`blas_thread_shutdown_`), and now and then one of them never wakes: the process has
    /// done its work and printed its results, then hangs in `exit` forever (seen in a test's
    /// `synthlab generate`, stack: exit → _dl_fini → gotoblas_quit → pthread_join). A handler that
    /// runs before the library destructors flushes the C streams and leaves with the same status;
    /// the kernel reclaims the threads.
    public static func skipLibraryShutdownAtExit() {
        #if canImport(Glibc)
        on_exit({ status, _ in
            fflush(nil)
            _exit(status)
        }, nil)
        #endif
    }
}
