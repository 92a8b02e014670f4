/// Go's text/tabwriter as docker's CLI sets it up for its tables (minimum cell width 10,
/// padding 3, spaces): each tab-terminated cell is padded to its column's widest cell plus 3,
/// and the text after a line's last tab is not padded. Columns are sized to their content, so
/// a long status never pushes the next column out of line.
public enum TabWriter {
    public static let minWidth = 10
    public static let padding = 3

    /// `lines` (cells separated by tabs) aligned, each line ending in a newline.
    public static func format(_ lines: [String]) -> String {
        render(lines.map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) })
    }

    /// Rows of cells aligned as docker aligns them.
    public static func render(_ rows: [[String]]) -> String {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.dropLast().enumerated() {
                if widths.count <= i { widths.append(0) }
                widths[i] = max(widths[i], max(minWidth, cell.count + padding))
            }
        }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                out += cell
                if i < row.count - 1 { out += String(repeating: " ", count: widths[i] - cell.count) }
            }
            out += "\n"
        }
        return out
    }
}
