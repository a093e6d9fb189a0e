/// The error of type `E` that `body` throws; nil when it returns, or throws something else
/// (the caller's expectation on the result then fails and shows what it got).
public func thrownError<E: Error>(_ type: E.Type, by body: () async throws -> some Any) async -> E? {
    do {
        _ = try await body()
        return nil
    } catch let error as E {
        return error
    } catch {
        print("expected \(E.self), got \(error)")
        return nil
    }
}
