import CAttentionKernel
import Foundation

/// Softmax of one row x (N) in place, shifted by the row maximum for stability: the C kernel
/// shared with attention (`lab_softmax`: vectorised exponentials, the sum in eight lanes), so the
/// engine's attention, its Swift twin and training's attention round alike.
public func softmaxForward(_ x: UnsafeMutablePointer<Float>, count N: Int) {
    guard N > 0 else { return }
    lab_softmax(x, Int32(N))
}

/// Double-precision twin of `softmaxForward`.
public func softmaxForwardNaive(_ x: UnsafeMutablePointer<Float>, count N: Int) {
    guard N > 0 else { return }
    var maximum = -Double.infinity
    for i in 0..<N {
        maximum = max(maximum, Double(x[i]))
    }
    var sum = 0.0
    for i in 0..<N {
        sum += exp(Double(x[i]) - maximum)
    }
    for i in 0..<N {
        x[i] = Float(exp(Double(x[i]) - maximum) / sum)
    }
}

/// log Σ exp(x[i]) of one row x (N), stable; the normaliser of log-probabilities.
public func logSumExp(_ x: UnsafePointer<Float>, count N: Int) -> Double {
    guard N > 0 else { return -.infinity }
    var maximum = -Float.infinity
    for i in 0..<N where x[i] > maximum {
        maximum = x[i]
    }
    var sum = 0.0
    for i in 0..<N {
        sum += Double(expf(x[i] - maximum))
    }
    return Double(maximum) + log(sum)
}
