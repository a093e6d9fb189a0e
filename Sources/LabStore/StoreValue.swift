public import Foundation

/// One value going into or coming out of a store's SQL: the five kinds every SQL store keeps.
/// Both backends convert to and from these, so the queries in this module are written once.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift type that binds as a SQL argument and reads back from a column.
public protocol StoreValueConvertible {
    var storeValue: StoreValue { get }
    /// The value of a column, or nil when it is NULL or of a kind this type can't hold.
    static func fromStoreValue(_ value: StoreValue) -> Self?
}

extension Int64: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(self) }
    public static func fromStoreValue(_ value: StoreValue) -> Int64? {
        switch value {
        case .integer(let value): value
        // PostgreSQL's sum() of integers is numeric; whole numbers come back as reals.
        case .real(let value) where value.rounded() == value && abs(value) < 9.2e18: Int64(value)
        default: nil
        }
    }
}

extension Int: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(Int64(self)) }
    public static func fromStoreValue(_ value: StoreValue) -> Int? { Int64.fromStoreValue(value).map(Int.init) }
}

extension UInt64: StoreValueConvertible {
    /// Stored as the signed integer of the same bits (SQL has no unsigned 64-bit integers).
    public var storeValue: StoreValue { .integer(Int64(bitPattern: self)) }
    public static func fromStoreValue(_ value: StoreValue) -> UInt64? { Int64.fromStoreValue(value).map { UInt64(bitPattern: $0) } }
}

extension Double: StoreValueConvertible {
    public var storeValue: StoreValue { .real(self) }
    public static func fromStoreValue(_ value: StoreValue) -> Double? {
        switch value {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }
}

extension Bool: StoreValueConvertible {
    public var storeValue: StoreValue { .integer(self ? 1 : 0) }
    public static func fromStoreValue(_ value: StoreValue) -> Bool? { Int64.fromStoreValue(value).map { $0 != 0 } }
}

extension String: StoreValueConvertible {
    public var storeValue: StoreValue { .text(self) }
    public static func fromStoreValue(_ value: StoreValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension Data: StoreValueConvertible {
    public var storeValue: StoreValue { .blob([UInt8](self)) }
    public static func fromStoreValue(_ value: StoreValue) -> Data? {
        switch value {
        case .blob(let bytes): Data(bytes)
        case .text(let text): Data(text.utf8)
        default: nil
        }
    }
}

extension Optional: StoreValueConvertible where Wrapped: StoreValueConvertible {
    public var storeValue: StoreValue { self?.storeValue ?? .null }
    /// Always a value: `.some(nil)` for NULL, so an optional column never reads as missing.
    public static func fromStoreValue(_ value: StoreValue) -> Wrapped?? {
        if case .null = value { return .some(nil) }
        return Wrapped.fromStoreValue(value).map { .some($0) }
    }
}

extension StoreValue: StoreValueConvertible {
    public var storeValue: StoreValue { self }
    public static func fromStoreValue(_ value: StoreValue) -> StoreValue? { value }
}

/// The arguments of a statement, in the order of its `?` placeholders.
public typealias StoreArguments = [any StoreValueConvertible]

/// One result row: its columns by name, in select order.
public struct StoreRow: Sendable, Hashable {
    public let columns: [String]
    public let values: [StoreValue]

    public init(columns: [String], values: [StoreValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of a column (NULL when the query has no such column).
    public func value(_ column: String) -> StoreValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// A column as `T`. Optional types read NULL as nil; a non-optional type reading NULL or a
    /// value of another kind is a mismatch between a query and the schema, a programming error.
    public subscript<T: StoreValueConvertible>(_ column: String) -> T {
        let value = value(column)
        guard let converted = T.fromStoreValue(value) else {
            preconditionFailure("store column '\(column)' holds \(value), which is not a \(T.self)")
        }
        return converted
    }
}
