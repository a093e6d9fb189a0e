public import Foundation
public import LabCore
import LabDocuments
import LabPipeline
public import LabStore

/// Runs a generation plan against a teacher, storing every candidate with its verdicts.
///
/// Correctness rules, in order of importance:
/// - A unit of work (one leaf's first prompt and everything that follows from it) is committed in
///   one transaction with its samples, so a crash or kill leaves whole units or nothing.
/// - Each leaf's units are committed in index order, and everything that depends on earlier
///   samples (duplicate checks, stopping) is decided at commit. So a run's samples are a function
///   of the run seed and the teacher's answers only, never of timing: a resumed run ends with
///   exactly the samples of an uninterrupted one.
/// - Teacher answers are stored before they are used; a resumed run asks only what was never answered.
///
/// Units of different leaves, and units ahead of a leaf's commit point, run concurrently (the
/// local teacher decodes them in one batch). How far ahead a leaf runs follows its observed
/// acceptance rate (oversampling); work past a leaf's stopping point is cancelled and discarded.
public final class GenerationRunner: Sendable {
    public struct Options: Sendable {
        /// Units in flight at once over all leaves.
        public var maxInFlight: Int = 8
        /// Extra attempts for a failed teacher call before the unit is recorded as failed.
        public var retries: Int = 2
        /// Consecutive failed units after which the teacher is taken to be down and the run stops.
        public var circuitBreakerThreshold: Int = 8
        /// A leaf is saturated when at least `saturationShare` of its last `saturationWindow`
        /// parsed candidates were duplicates.
        public var saturationWindow: Int = 20
        public var saturationShare: Double = 0.8
        /// Set when the run is shared with other workers: this process then works only on the
        /// leaves it holds leases on, and leaves the run's status to whoever finishes it.
        public var worker: WorkerOptions?

        public init(maxInFlight: Int = 8, retries: Int = 2, worker: WorkerOptions? = nil) {
            self.maxInFlight = maxInFlight
            self.retries = retries
            self.worker = worker
        }
    }

    /// One worker of a shared run (`synthlab worker`, or `generate` on a PostgreSQL store).
    ///
    /// A worker holds a lease on each leaf it works on, so a leaf's units are committed in order by
    /// one worker at a time and the run's samples are the same however many workers made them. It
    /// renews its leases every `leaseSeconds / 3`; a worker that dies stops renewing, and once its
    /// leases lapse another worker takes its leaves over from their last committed unit.
    public struct WorkerOptions: Sendable {
        /// Unique among the run's workers (host, process id and a random part by default).
        public var name: String
        public var leaseSeconds: Double
        /// Leaves held at once: enough to keep the teacher busy, few enough to leave work for other workers.
        public var maxLeaves: Int

        public init(name: String, leaseSeconds: Double = 30, maxLeaves: Int = 2) {
            self.name = name
            self.leaseSeconds = leaseSeconds
            self.maxLeaves = maxLeaves
        }
    }

    /// How a run ended.
    public struct Outcome: Sendable {
        public var runID: Int64
        public var accepted: Int
        public var candidates: Int
        public var teacherCalls: Int
        public var cachedCalls: Int
        public var failedUnits: Int
        /// Wall time of this `run()` call, and the part of it the teacher was busy.
        public var wallSeconds: Double
        public var teacherBusySeconds: Double
        /// Units this process committed, and the wall time their commits took (the store's cost per unit).
        public var unitsCommitted = 0
        public var commitSeconds = 0.0
    }

    let plan: GenerationPlan
    let blocks: [[any FlowBlock]]
    let teacher: CachedTeacher
    let store: SampleStore
    let runID: Int64
    let seed: UInt64
    let options: Options
    let progress: any ProgressReporter
    private let commits = CommitMeter()

    /// - Parameter pipelinesRoot: where the pipeline's policy files are found.
    /// - Parameter noveltyScorer: loads the models of `novelty` blocks.
    public init(plan: GenerationPlan, pipelinesRoot: URL, teacher: any TextGenerator, store: SampleStore, runID: Int64, seed: UInt64,
                options: Options = .init(), progress: any ProgressReporter = SilentProgress(),
                noveltyScorer: NoveltyScorerFactory? = nil) throws(GenerationError) {
        self.plan = plan
        var environment = BlockEnvironment(pipelinesRoot: pipelinesRoot, pipeline: plan.pipeline, leaves: plan.leaves.map(\.leaf))
        environment.noveltyScorer = noveltyScorer
        // Each leaf runs the blocks of its plan; leaves with the same specs share one built flow.
        var built: [(specs: [BlockSpec], flow: FlowKind, blocks: [any FlowBlock])] = []
        var blocks: [[any FlowBlock]] = []
        var problems: [Diagnostic] = []
        for leaf in plan.leaves {
            if let existing = built.first(where: { $0.specs == leaf.blocks && $0.flow == leaf.flow }) {
                blocks.append(existing.blocks)
                continue
            }
            var flow: [any FlowBlock] = []
            for spec in leaf.blocks {
                do { flow.append(try BlockFactory.make(spec, environment: environment, flow: leaf.flow)) } catch {
                    if case .plan(let found) = error { problems += found }
                }
            }
            built.append((leaf.blocks, leaf.flow, flow))
            blocks.append(flow)
        }
        guard problems.isEmpty else { throw .plan(problems) }
        self.blocks = blocks
        self.teacher = CachedTeacher(teacher: teacher, store: store, runID: runID, retries: options.retries)
        self.store = store
        self.runID = runID
        self.seed = seed
        self.options = options
        self.progress = progress
    }

    /// Runs (or resumes) the run to the end: every leaf done, saturated or out of budget.
    /// Cancelling the calling task stops promptly and marks the run interrupted; what was
    /// committed stays, and `run()` on a new runner for the same run id carries on.
    /// A worker (`options.worker`) works until no leaf of the run is open, taking over leaves whose
    /// workers stopped renewing their leases; it leaves the run's status alone unless it finishes it.
    public func run() async throws(GenerationError) -> Outcome {
        let leaves: [RegisteredLeaf]
        do {
            leaves = try registerLeaves()
        } catch {
            throw .store(error)
        }
        let started = ContinuousClock.now
        let worker = options.worker
        // The leaves this process works on now, by plan index.
        var states: [Int: LeafState] = [:]
        let totalTarget = plan.leaves.reduce(0) { $0 + $1.target }
        progress.report(.started(task: "generate", total: totalTarget))
        let (stream, continuation) = AsyncStream.makeStream(of: RunnerEvent.self)
        var iterator = stream.makeAsyncIterator()
        var inFlight = 0
        var consecutiveFailures = 0
        var lastFailure = ""
        // Leaves this process saw to their end, for progress.
        var stoppedLeaves = 0
        var stoppedAccepted = 0
        // A worker wakes regularly to renew its leases and look for leaves to take over.
        let ticker: Task<Void, Never>? = worker.map { worker in
            Task {
                while !Task.isCancelled {
                    // Renewals every third of a lease; an idle worker also looks for lapsed leases at least every second.
                    try? await Task.sleep(for: .seconds(max(0.05, min(worker.leaseSeconds / 3, 1))))
                    continuation.yield(.tick)
                }
            }
        }
        defer { ticker?.cancel() }

        func heldLeafIDs() -> [Int64] { states.values.map(\.leafID) }
        func releaseAll() {
            if let worker { try? store.releaseLeases(worker: worker.name, leafIDs: heldLeafIDs()) }
        }
        func stopAll() {
            for state in states.values { state.cancelRunning() }
            ticker?.cancel()
            continuation.finish()
        }
        /// Stops working on a leaf: done, or its lease lost to another worker.
        func drop(_ index: Int, release: Bool) {
            guard let state = states.removeValue(forKey: index) else { return }
            if state.isStopped { stoppedLeaves += 1; stoppedAccepted += min(state.accepted, state.plan.target) }
            state.cancelRunning()
            if release, let worker { try? store.releaseLeases(worker: worker.name, leafIDs: [state.leafID]) }
        }
        func endRun(_ status: RunStatus) {
            // A worker leaves the run to the others; only a single process owns its run's status.
            if worker == nil { try? store.endRun(runID, status: status) } else { releaseAll() }
        }
        let indexByLeafID = Dictionary(uniqueKeysWithValues: leaves.enumerated().map { ($1.leafID, $0) })
        func claimMore() throws(StoreError) {
            guard let worker else { return }
            // A claimed leaf that turns out to be done is closed and let go, and the slot is offered
            // again at once: waiting for the next tick would take a second per leaf to sweep such leaves.
            while states.count < worker.maxLeaves {
                let claimed = try store.claimLeaves(runID: runID, worker: worker.name, limit: worker.maxLeaves - states.count,
                                                    leaseSeconds: worker.leaseSeconds, excluding: heldLeafIDs())
                if claimed.isEmpty { return }
                for leafID in claimed {
                    guard let index = indexByLeafID[leafID], states[index] == nil else {
                        // Not a leaf of this plan (cannot happen for a run whose hashes matched): let it go.
                        try store.releaseLeases(worker: worker.name, leafIDs: [leafID])
                        return
                    }
                    let state = try makeState(index, leaves[index])
                    if state.isStopped {
                        try store.releaseLeases(worker: worker.name, leafIDs: [leafID])
                    } else {
                        states[index] = state
                    }
                }
            }
        }
        func launchMore() {
            var launched = true
            while inFlight < options.maxInFlight && launched {
                launched = false
                // The leaf furthest from its target (relative to what it has in flight) goes first.
                let ready = states.keys.sorted().filter { states[$0]!.wantsMoreWork(maxAhead: options.maxInFlight) }
                guard let next = ready.min(by: { states[$0]!.running.count < states[$1]!.running.count }) else { break }
                let state = states[next]!
                let unit = state.sampler.unit(state.nextLaunch)
                state.nextLaunch += 1
                let flow = blocks[next]
                let context = BlockContext(unit: unit, teacher: teacher, leafPath: state.plan.leaf.relativePath, flow: state.plan.flow)
                let owner = ObjectIdentifier(state)
                state.running[unit.index] = Task {
                    let outcome = await Self.execute(flow, context: context)
                    continuation.yield(.finished(FinishedUnit(leaf: next, owner: owner, unit: unit, outcome: outcome)))
                }
                inFlight += 1
                launched = true
            }
        }
        func fail(_ error: GenerationError, reason: String) -> GenerationError {
            stopAll()
            endRun(reason == "interrupted" ? .interrupted : .failed)
            progress.report(.stopped(task: "generate", reason: reason))
            return error
        }

        do {
            if worker == nil {
                for (index, leaf) in leaves.enumerated() { states[index] = try makeState(index, leaf) }
            } else {
                try claimMore()
            }
        } catch {
            throw fail(.store(error), reason: "failed")
        }
        launchMore()
        while true {
            if inFlight == 0 {
                if worker == nil { break }
                // Idle worker: leaves done here are let go; when no leaf of the run is open, the run is over.
                for (index, state) in states where state.isStopped { drop(index, release: true) }
                let open: Int
                do {
                    try claimMore()
                    launchMore()
                    open = inFlight == 0 && states.isEmpty ? try store.openLeafCount(runID: runID) : 1
                } catch {
                    throw fail(.store(error), reason: "failed")
                }
                if open == 0 { break }
            }
            guard let event = await iterator.next(), !Task.isCancelled else {
                throw fail(.interrupted(run: runID), reason: "interrupted")
            }
            let finished: FinishedUnit
            switch event {
            case .tick:
                guard let worker else { continue }
                do {
                    let held = try store.renewLeases(worker: worker.name, leafIDs: heldLeafIDs(), leaseSeconds: worker.leaseSeconds)
                    for (index, state) in states where !held.contains(state.leafID) { drop(index, release: false) }
                    if inFlight > 0 { try claimMore() }
                } catch {
                    throw fail(.store(error), reason: "failed")
                }
                launchMore()
                continue
            case .finished(let unit):
                finished = unit
            }
            inFlight -= 1
            guard let state = states[finished.leaf], ObjectIdentifier(state) == finished.owner,
                  state.running.removeValue(forKey: finished.unit.index) != nil, !state.isStopped else { continue }
            state.finished[finished.unit.index] = (finished.unit, finished.outcome)
            do {
                try commitReadyUnits(of: state)
            } catch where error.kind == .leaseLost {
                // Another worker took the leaf over after this one missed its renewals: its units are theirs now.
                drop(finished.leaf, release: false)
            } catch {
                throw fail(.store(error), reason: "failed")
            }
            if state.isStopped { drop(finished.leaf, release: true) }
            switch finished.outcome {
            case .failure(let message):
                consecutiveFailures += 1
                lastFailure = message
            case .storeFailure(let error):
                throw fail(.store(error), reason: "failed")
            case .teacherUnavailable(let message):
                throw fail(.teacherUnavailable(message, run: runID), reason: "failed")
            default:
                consecutiveFailures = 0
            }
            if consecutiveFailures >= options.circuitBreakerThreshold {
                throw fail(.teacherDown(lastError: lastFailure), reason: "failed")
            }
            let usage = teacher.meter.snapshot
            progress.report(.advanced(
                task: "generate", completed: states.values.reduce(stoppedAccepted) { $0 + min($1.accepted, $1.plan.target) },
                detail: (worker == nil ? "leaves \(stoppedLeaves)/\(leaves.count)" : "leaves \(stoppedLeaves) done here, \(states.count) held")
                    + " · calls \(usage.calls)+\(usage.cached) cached · \(usage.completionTokens) tok"))
            launchMore()
        }
        continuation.finish()
        let totals: [StoredLeafState]
        do {
            try store.endRun(runID, status: .finished)
            totals = try store.leafStates(runID: runID)
        } catch {
            throw .store(error)
        }
        progress.report(.finished(task: "generate"))
        let usage = teacher.meter.snapshot
        let committed = commits.snapshot
        return Outcome(runID: runID, accepted: totals.reduce(0) { $0 + $1.accepted }, candidates: totals.reduce(0) { $0 + $1.candidates },
                       teacherCalls: usage.calls, cachedCalls: usage.cached, failedUnits: totals.reduce(0) { $0 + $1.failedUnits },
                       wallSeconds: Self.seconds(ContinuousClock.now - started), teacherBusySeconds: teacher.meter.teacherBusySeconds,
                       unitsCommitted: committed.units, commitSeconds: committed.seconds)
    }

    // MARK: Leaves

    struct RegisteredLeaf {
        var leafID: Int64
        var seedIDs: [Int64]
    }

    /// Records (or, resuming or joining, finds) every leaf of the plan with its seeds and documents.
    private func registerLeaves() throws(StoreError) -> [RegisteredLeaf] {
        var registered: [RegisteredLeaf] = []
        for plan in plan.leaves {
            let leaf = plan.leaf
            let seeds = leaf.seeds.flatMap { seed in
                seed.questionsAndAnswers.prefix(1).map { (context: seed.context, question: $0.question, answer: $0.answer) }
            }
            let (leafID, seedIDs) = try store.addLeaf(runID: runID, taxonomyPath: leaf.taxonomyPath, kind: plan.flowName,
                                                      contentHash: leaf.contentHash, target: plan.target, seeds: seeds)
            var documentIDs: [String: Int64] = [:]
            for document in plan.documents {
                documentIDs[document.contentHash] = try store.addDocument(path: document.path, text: document.text, contentHash: document.contentHash)
            }
            for chunk in plan.chunks {
                try store.addChunk(id: chunk.id, documentID: documentIDs[chunk.documentHash] ?? 0, position: chunk.index,
                                   startOffset: chunk.startOffset, endOffset: chunk.endOffset, text: chunk.text)
            }
            registered.append(RegisteredLeaf(leafID: leafID, seedIDs: seedIDs))
        }
        return registered
    }

    /// A leaf's run-time state, rebuilt from what the store holds of it (nothing for a new run; the
    /// committed units, samples and duplicate history when resuming or taking over from a worker).
    private func makeState(_ index: Int, _ registered: RegisteredLeaf) throws(StoreError) -> LeafState {
        let plan = plan.leaves[index]
        let leaf = plan.leaf
        let seedPairs = leaf.seeds.flatMap { $0.questionsAndAnswers.map { (question: $0.question, answer: $0.answer) } }
        let commitChecks = blocks[index].compactMap { ($0 as? any CommitTimeBlock)?.makeCommitCheck(seeds: seedPairs) }
        let state = LeafState(plan: plan, sampler: UnitSampler(plan: plan, runSeed: seed), leafID: registered.leafID,
                              seedIDs: registered.seedIDs, commitChecks: commitChecks, options: options)
        if let previous = try store.leafStates(runID: runID).first(where: { $0.leafID == registered.leafID }) {
            state.nextCommit = previous.completedUnits
            state.nextLaunch = previous.completedUnits
            state.accepted = previous.accepted
            state.candidates = previous.candidates
            state.failedUnits = previous.failedUnits
            state.status = previous.status
            for pair in try store.acceptedPairs(leafID: registered.leafID) {
                for check in commitChecks { check.remember(question: pair.question, answer: pair.answer, label: "sample \(pair.id)") }
            }
            let saturating = commitChecks.filter(\.signalsSaturation).map(\.filterName)
            state.recentDuplicates = Array(try store.recentDuplicateFlags(leafID: registered.leafID, filters: saturating,
                                                                          limit: options.saturationWindow).reversed())
        }
        // A store written before a leaf's end was committed with its last unit can hold a leaf
        // still open whose units say it is done: it is closed now rather than held forever.
        if !state.isStopped, let ending = state.stoppingStatus() {
            state.status = ending
            try store.setLeafStatus(registered.leafID, ending)
        }
        if !state.isStopped {
            state.status = .running
            try store.setLeafStatus(registered.leafID, .running)
        }
        return state
    }

    /// Commits the leaf's finished units that are next in order, deciding duplicates and whether
    /// the leaf is done as each one lands.
    private func commitReadyUnits(of state: LeafState) throws(StoreError) {
        while !state.isStopped, let (unit, outcome) = state.finished.removeValue(forKey: state.nextCommit) {
            var samples: [NewSample] = []
            var failure: String?
            switch outcome {
            case .success(let rows):
                for (position, row) in rows.enumerated() {
                    var verdicts = row.verdicts
                    let parsed = !verdicts.contains { $0.filter == "parse" && $0.decision == .reject }
                    let label = "unit \(unit.index) #\(position)"
                    var saturating = false
                    // Commit-time checks in flow order; the first rejection ends the row's checks.
                    if !row.isRejected {
                        for check in state.commitChecks {
                            let verdict = check.check(row, label: label)
                            verdicts.append(verdict)
                            if verdict.decision == .reject {
                                saturating = check.signalsSaturation
                                break
                            }
                        }
                        if !verdicts.contains(where: { $0.decision == .reject }) {
                            for check in state.commitChecks { check.remember(question: row.question, answer: row.answer, label: label) }
                        }
                    }
                    let sample = NewSample(
                        leafID: state.leafID, responseID: row.responseID, chunkID: unit.chunk?.id,
                        seedIDs: unit.seedPositions.compactMap { $0 < state.seedIDs.count ? state.seedIDs[$0] : nil },
                        question: row.question, answer: row.answer, context: row.columns["context"], verdicts: verdicts)
                    if parsed {
                        state.recentDuplicates.append(saturating)
                        if state.recentDuplicates.count > options.saturationWindow { state.recentDuplicates.removeFirst() }
                    }
                    samples.append(sample)
                }
            case .failure(let message):
                failure = message
            case .cancelled, .storeFailure, .teacherUnavailable:
                return  // not a result: the unit runs again on resume
            }
            // The counts move first so the unit's commit can carry the leaf's end with it; a failed
            // commit abandons this state (the leaf is dropped or the run stops).
            state.nextCommit += 1
            state.candidates += samples.count
            state.accepted += samples.filter(\.isAccepted).count
            if failure != nil { state.failedUnits += 1 }
            let ending = state.stoppingStatus()
            let started = ContinuousClock.now
            try store.completeUnit(runID: runID, unitKey: unit.key, samples: samples, leafID: state.leafID, unitIndex: unit.index, failure: failure,
                                   worker: options.worker?.name, leaseSeconds: options.worker?.leaseSeconds ?? 30, leafStatus: ending)
            commits.add(Self.seconds(ContinuousClock.now - started))
            if let ending {
                state.status = ending
                state.cancelRunning()
            }
        }
    }

    // MARK: Units

    enum UnitOutcome: Sendable {
        case success([Candidate])
        /// The teacher failed for good; recorded with the unit.
        case failure(String)
        /// The teacher can't serve the run at all (bad key, endpoint down): not recorded, the run stops.
        case teacherUnavailable(String)
        case cancelled
        case storeFailure(StoreError)
    }

    struct FinishedUnit: Sendable {
        var leaf: Int
        /// The leaf state that launched it: a leaf dropped and taken up again gets a new state, and
        /// units of the old one are discarded.
        var owner: ObjectIdentifier
        var unit: WorkUnit
        var outcome: UnitOutcome
    }

    enum RunnerEvent: Sendable {
        case finished(FinishedUnit)
        /// A worker's regular wake-up: renew leases, take over lapsed leaves.
        case tick
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func execute(_ flow: [any FlowBlock], context: BlockContext) async -> UnitOutcome {
        var rows = [Candidate(columns: context.unit.variables)]
        do {
            for block in flow { rows = try await block.run(rows, context: context) }
            return .success(rows)
        } catch is CancellationError {
            return .cancelled
        } catch let error as StoreError {
            return .storeFailure(error)
        } catch let error as any FatalTeacherError where error.stopsRun {
            return .teacherUnavailable(String(describing: error).prefix(500).description)
        } catch {
            if Task.isCancelled { return .cancelled }
            return .failure(String(describing: error).prefix(500).description)
        }
    }
}

/// Units committed by this process and the time their transactions took.
final class CommitMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var units = 0
    private var seconds = 0.0

    func add(_ duration: Double) { lock.withLock { units += 1; seconds += duration } }
    var snapshot: (units: Int, seconds: Double) { lock.withLock { (units, seconds) } }
}

/// The run-time state of one leaf (used only by the runner's loop).
final class LeafState: @unchecked Sendable {
    let plan: LeafPlan
    let sampler: UnitSampler
    let leafID: Int64
    let seedIDs: [Int64]
    let commitChecks: [any CommitCheck]
    let options: GenerationRunner.Options
    var status = LeafStatus.pending
    var nextLaunch = 0
    var nextCommit = 0
    var accepted = 0
    var candidates = 0
    var failedUnits = 0
    /// For the last parsed candidates, oldest first: whether each was a duplicate.
    var recentDuplicates: [Bool] = []
    var running: [Int: Task<Void, Never>] = [:]
    var finished: [Int: (WorkUnit, GenerationRunner.UnitOutcome)] = [:]

    init(plan: LeafPlan, sampler: UnitSampler, leafID: Int64, seedIDs: [Int64], commitChecks: [any CommitCheck], options: GenerationRunner.Options) {
        self.plan = plan
        self.sampler = sampler
        self.leafID = leafID
        self.seedIDs = seedIDs
        self.commitChecks = commitChecks
        self.options = options
    }

    var isStopped: Bool { status.isStopped }

    /// Whether another unit should start: the leaf is open, has budget, and has fewer units ahead
    /// of its commit point than its acceptance rate says it needs to reach the target.
    func wantsMoreWork(maxAhead: Int) -> Bool {
        guard !isStopped, nextLaunch < effectiveBudget else { return false }
        let remaining = max(0, plan.target - accepted)
        guard remaining > 0 else { return false }
        // Until a few candidates are in, assume half are accepted.
        let rate = candidates >= 5 ? max(Double(accepted) / Double(candidates), 0.05) : 0.5
        let needed = Int((Double(remaining) / (rate * Double(plan.candidatesPerUnit))).rounded(.up))
        return nextLaunch - nextCommit < min(max(needed, 1), maxAhead)
    }

    /// The units the leaf may use: its budget, doubled when under a fifth of its candidates were
    /// accepted and tripled while none were — a leaf the teacher finds hard gets more tries. It
    /// depends only on committed units, so a resumed run decides exactly as an uninterrupted one.
    var effectiveBudget: Int {
        guard nextCommit >= plan.unitBudget, candidates > 0 else { return plan.unitBudget }
        if accepted == 0 { return plan.unitBudget * 3 }
        return Double(accepted) / Double(candidates) < 0.2 ? plan.unitBudget * 2 : plan.unitBudget
    }

    /// The status the leaf ends with now, if it is finished.
    func stoppingStatus() -> LeafStatus? {
        if accepted >= plan.target { return .done }
        if recentDuplicates.count >= options.saturationWindow,
           Double(recentDuplicates.filter { $0 }.count) >= options.saturationShare * Double(recentDuplicates.count) {
            return .saturated
        }
        if nextCommit >= effectiveBudget { return .exhausted }
        return nil
    }

    func cancelRunning() {
        for task in running.values { task.cancel() }
        running.removeAll()
        finished.removeAll()
    }
}
