public import LabCore
public import LabStore

/// Why a generation run could not start or had to stop.
public enum GenerationError: Error, Sendable, CustomStringConvertible {
    /// The taxonomy, pipeline or plan has problems; nothing was asked of the teacher.
    case plan([Diagnostic])
    /// A resumed run does not match what it was started with.
    case resumeMismatch(run: Int64, what: String, hint: String)
    /// The store failed (disk full, read-only, …); what was committed before is intact.
    case store(StoreError)
    /// The teacher is failing every request (the circuit is open); the run stopped.
    case teacherDown(lastError: String)
    /// The teacher can't serve the run (a bad API key, a wrong URL, an endpoint that is down).
    case teacherUnavailable(String, run: Int64)
    /// The run was cancelled (Ctrl-C); everything committed stays and the run can be resumed.
    case interrupted(run: Int64)
    /// A block that asks the teacher ran without one (`verify --no-teacher`).
    case noTeacher(block: String)
    /// A novelty block could not score: no models where it ran, or they failed to load.
    case novelty(block: String, String)

    public var description: String {
        switch self {
        case .plan(let diagnostics):
            diagnostics.map(\.description).joined(separator: "\n")
        case .resumeMismatch(let run, let what, let hint):
            "cannot resume run \(run): \(what) (hint: \(hint))"
        case .store(let error):
            "the store failed: \(error)"
        case .teacherDown(let lastError):
            "the teacher failed every request in a row; stopped (last error: \(lastError)) (hint: check the model or endpoint, then resume the run)"
        case .teacherUnavailable(let message, let run):
            "\(message); run \(run) stopped, everything committed is kept (hint: fix the teacher, then `synthlab generate --resume \(run)`)"
        case .noTeacher(let block):
            "block '\(block)' needs a teacher (hint: pass --model or --endpoint, or leave the block out)"
        case .novelty(let block, let message):
            "block '\(block)': \(message)"
        case .interrupted(let run):
            "run \(run) interrupted; everything committed is kept (hint: continue with `synthlab generate --resume \(run)`)"
        }
    }
}
