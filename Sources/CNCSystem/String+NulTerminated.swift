extension String {
    /// Decodes a C character buffer up to its first NUL (the whole buffer if there is none) as UTF-8,
    /// repairing invalid sequences; what `String(cString:)` on an array did before its deprecation.
    public init(nulTerminated chars: [CChar]) {
        self.init(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
