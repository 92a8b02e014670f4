extension String {
    /// The string padded with spaces to `width` columns (at least one space after it), for
    /// aligned tables and reports.
    public func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
