import LabCore

extension BatchRequest {
    /// Checks everything about the request that can be checked before it runs; the message names
    /// the field and the hint says what to use instead.
    func validate(contextLength: Int) throws(ModelError) {
        let p = parameters
        guard !prompt.isEmpty else {
            throw ModelError(field: "prompt", "is empty", hint: "give at least one token (a chat template always renders some)")
        }
        guard prompt.count < contextLength else {
            throw ModelError(
                field: "prompt", "has \(prompt.count) tokens but the model's context holds \(contextLength) (prompt and reply together)",
                hint: "shorten the prompt to fewer than \(contextLength) tokens"
            )
        }
        guard count >= 1 else { throw ModelError(field: "count", "must be at least 1, got \(count)") }
        guard p.maxTokens >= 1 else { throw ModelError(field: "maxTokens", "must be at least 1, got \(p.maxTokens)") }
        guard p.temperature.isFinite, p.temperature >= 0 else {
            throw ModelError(field: "temperature", "must be 0 (greedy) or positive, got \(p.temperature)")
        }
        guard p.topK >= 0 else { throw ModelError(field: "topK", "must be 0 (off) or positive, got \(p.topK)") }
        guard p.topP > 0, p.topP <= 1 else { throw ModelError(field: "topP", "must be in (0, 1], got \(p.topP)", hint: "1 turns it off") }
        guard p.minP >= 0, p.minP <= 1 else { throw ModelError(field: "minP", "must be in [0, 1], got \(p.minP)", hint: "0 turns it off") }
        guard p.repetitionPenalty.isFinite, p.repetitionPenalty > 0 else {
            throw ModelError(field: "repetitionPenalty", "must be positive, got \(p.repetitionPenalty)", hint: "1 turns it off")
        }
        guard p.repetitionWindow >= 0 else {
            throw ModelError(field: "repetitionWindow", "must be 0 or more tokens, got \(p.repetitionWindow)")
        }
    }
}
