import ArgumentParser

/// `--format` for commands that print a report: human text or JSON.
public enum ReportFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}
