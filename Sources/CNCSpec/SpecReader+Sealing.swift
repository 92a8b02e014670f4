import CNCCore

extension SpecReader {
    /// Keeps secret values out of the normalized spec: an environment value that came from an
    /// encrypted file becomes its redaction (the clear value kept aside in `sealedEnvironment`,
    /// never encoded); encrypted secret files are decrypted into `AppSpec.sealedFiles`; a secret
    /// value used anywhere but `environment:` is an error (it would be stored in clear).
    func seal(_ app: inout AppSpec) {
        let secrets = sealed.all
        if let decryptor = sealed.decryptor {
            for (name, var s) in app.services {
                for (k, v) in s.environment {
                    guard let v, !SecretRedaction.isRedaction(v) else { continue }
                    // From an encrypted env file or .env.enc, or written in an encrypted spec file.
                    let written = sourceMap.mark("services.\(name).environment.\(k)")?.file
                    guard let file = SecretRedaction.source(of: v, secrets: secrets) ?? written.flatMap({ SealedInputs.isEncrypted($0) ? $0 : nil })
                    else { continue }
                    s.sealedEnvironment[k] = v
                    s.environment[k] = .some(SecretRedaction.text(file: file, digest: decryptor.digest(Array(v.utf8))))
                }
                app.services[name] = s
            }
        }
        // Without a decryptor (a stored revision read back) encrypted secret files stay unread:
        // their content is needed only to create containers, which refuses them undecrypted.
        for (key, c) in app.secrets.sorted(by: { $0.key < $1.key }) where sealed.decryptor != nil {
            guard let file = c.file, SealedInputs.isEncrypted(file) else { continue }
            let path = "secrets.\(key).file"
            let shown = file.hasPrefix(defaultBaseDir + "/") ? String(file.dropFirst(defaultBaseDir.count + 1)) : file
            do {
                guard let bytes = try sealed.read(file, shown: shown), let decryptor = sealed.decryptor else {
                    error(sourceMap.mark(path), path, "cannot read secret file \(shown): no such file or not readable")
                    continue
                }
                app.sealedFiles[file] = SealedFile(content: bytes, digest: decryptor.digest(bytes), shown: shown)
            } catch {
                self.error(sourceMap.mark(path), path, "\(error)")
            }
        }
        guard !secrets.isEmpty, let tree = try? app.jsonValue() else { return }
        var leaks: [(String, String)] = []
        Self.findSecrets(tree, "", secrets, into: &leaks)
        for (path, file) in leaks {
            error(sourceMap.mark(path), path, "a value from the encrypted \(file) is used here, where it would be stored in clear text; encrypted values may only be used in environment:")
        }
    }

    /// Key paths of string leaves that hold a secret value (redactions aside), with its file.
    static func findSecrets(_ v: JSONValue, _ path: String, _ secrets: [String: String], into out: inout [(String, String)]) {
        switch v {
        case .string(let s):
            if !SecretRedaction.isRedaction(s), let f = SecretRedaction.source(of: s, secrets: secrets) { out.append((path, f)) }
        case .array(let items):
            for (i, item) in items.enumerated() { findSecrets(item, "\(path)[\(i)]", secrets, into: &out) }
        case .object(let fields):
            for (k, item) in fields.sorted(by: { $0.key < $1.key }) { findSecrets(item, path.isEmpty ? k : "\(path).\(k)", secrets, into: &out) }
        default: break
        }
    }
}
