import COpenBLAS

/// The singular value decomposition of a row-major (rows × columns) matrix A = U·diag(s)·Vᵀ,
/// with r = min(rows, columns): `u` is (rows × r) row-major (columns: left singular vectors),
/// `vt` is (r × columns) row-major (rows: right singular vectors), `s` descending.
public struct SingularValueDecomposition: Sendable {
    public var rows: Int
    public var columns: Int
    public var u: [Float]
    public var s: [Float]
    public var vt: [Float]

    public var rank: Int { s.count }

    /// Through LAPACK's `sgesdd`. A row-major A is the column-major Aᵀ, whose SVD V·S·Uᵀ hands
    /// back A's factors already in row-major order. Nil when LAPACK reports a failure.
    public init?(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int) {
        let r = min(rows, columns)
        var a = Array(UnsafeBufferPointer(start: matrix, count: rows * columns))
        var s = [Float](repeating: 0, count: r)
        var leftOfTranspose = [Float](repeating: 0, count: columns * r)   // column-major (columns × r) = Vᵀ row-major (r × columns)
        var rightOfTranspose = [Float](repeating: 0, count: r * rows)     // column-major (r × rows) = U row-major (rows × r)
        var iwork = [Int32](repeating: 0, count: 8 * r)
        var (jobz, m, n, lda, ldu, ldvt, info) = (Int8(UInt8(ascii: "S")), Int32(columns), Int32(rows), Int32(columns), Int32(columns), Int32(r), Int32(0))
        var query: Float = 0
        var lwork: Int32 = -1
        sgesdd_(&jobz, &m, &n, &a, &lda, &s, &leftOfTranspose, &ldu, &rightOfTranspose, &ldvt, &query, &lwork, &iwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Float](repeating: 0, count: Int(lwork))
        sgesdd_(&jobz, &m, &n, &a, &lda, &s, &leftOfTranspose, &ldu, &rightOfTranspose, &ldvt, &work, &lwork, &iwork, &info)
        guard info == 0 else { return nil }
        self.rows = rows
        self.columns = columns
        self.s = s
        self.u = rightOfTranspose
        self.vt = leftOfTranspose
    }
}

/// Removes from a (rows × columns) row-major update Δ its components in the column space of
/// `left` (rows × k, orthonormal columns) and the row space of `rightTransposed` (k′ × columns,
/// orthonormal rows): Δ ← (I − L·Lᵀ)·Δ·(I − R·Rᵀ), so Lᵀ·Δ = 0 and Δ·R = 0 afterwards.
public func projectOntoComplement(_ delta: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                  left: UnsafePointer<Float>, leftRank k: Int,
                                  rightTransposed: UnsafePointer<Float>, rightRank kr: Int) {
    if k > 0 {
        var a = [Float](repeating: 0, count: k * columns)
        // a (k × columns) = Lᵀ · Δ
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(columns), Int32(rows), 1,
                    left, Int32(k), delta, Int32(columns), 0, &a, Int32(columns))
        // Δ ← Δ − L · a
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(k), -1,
                    left, Int32(k), a, Int32(columns), 1, delta, Int32(columns))
    }
    if kr > 0 {
        var b = [Float](repeating: 0, count: rows * kr)
        // b (rows × kr) = Δ · Rᵀᵀ = Δ · R
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(kr), Int32(columns), 1,
                    delta, Int32(columns), rightTransposed, Int32(columns), 0, &b, Int32(kr))
        // Δ ← Δ − b · Rᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(columns), Int32(kr), -1,
                    b, Int32(kr), rightTransposed, Int32(columns), 1, delta, Int32(columns))
    }
}
