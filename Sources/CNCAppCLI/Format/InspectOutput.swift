import ArgumentParser
import CNCCore
import CNCSystem

/// Docker's `inspect` output for any kind of object: the documents as one indented JSON
/// array, or with `--format` each document through the template, one line each (`json` is the
/// default form). A reference that names nothing is reported on stderr after the others are
/// printed, and the command exits 1.
public enum InspectOutput {
    public static func emit(_ refs: [String], format: String?, document: (String) throws -> JSONValue) throws {
        let template = try template(format)
        var docs: [JSONValue] = []
        var errors: [String] = []
        for ref in refs {
            do {
                let doc = try document(ref)
                if let template { print(try template.render(json: doc)) } else { docs.append(doc) }
            } catch let e as CNCError where e.code == .notFound {
                errors.append(e.message)
            }
        }
        if template == nil { print(try CanonicalJSON.string(JSONValue.array(docs), pretty: true), terminator: "") }
        if !errors.isEmpty {
            writeStderr(errors.map { "Error: \($0)\n" }.joined())
            throw ExitCode(1)
        }
    }

    /// The template of inspect's `--format` (none for `json` or empty): Go's missingkey=error,
    /// checked before any document is read. A template that does not parse exits 64, as docker's
    /// inspect does; one that fails on a document exits 1.
    public static func template(_ format: String?) throws -> GoTemplate? {
        guard let format, format != "json", !format.isEmpty else { return nil }
        var template = GoTemplate(format)
        template.missingKeyIsError = true
        do { try template.validate() } catch let e as CNCError {
            writeStderr("Error: \(e.description)\n")
            throw ExitCode(64)
        }
        return template
    }
}

/// Runs a docker-style command body: a CNCError becomes docker's `Error: <message>` on stderr
/// and exit status 1 (docker's status for any failed command).
public func dockerErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as CNCError {
        writeStderr("Error: \(e.description)\n")
        throw ExitCode(1)
    }
}
