import CNCCore
import Foundation
import Testing

/// Encrypted inputs end to end (real age, real kernel): a `.env.enc` variable and an encrypted
/// `secrets:` file reach the container and never the disk; a changed secret replaces the
/// service with a cause that names the file; a wrong key changes nothing.
@Suite(.serialized) struct ApplySecretsTests {
    static let spec = """
    name: sealed
    services:
      web:
        image: app:stable
        command: ["sleep", "1000"]
        network_mode: none
        stop_grace_period: 0s
        environment:
          DB_PASSWORD: ${DB_PASSWORD}
          PLAIN: hello
        secrets:
          - pw
          - source: pw
            target: /run/secrets/owned
            uid: "1000"
            mode: 0400
    secrets:
      pw:
        file: ./pw.enc

    """

    func encrypt(_ app: AppRoot, _ text: String, to name: String, armor: Bool = false) throws {
        try app.sh("printf '%s' '\(text)' | age -r \"$(age-keygen -y '\(app.dir)/key.txt')\" \(armor ? "-a" : "") -o '\(app.dir)/\(name)'")
    }

    /// Files under `dir` (the .enc inputs aside) whose bytes contain `needle`.
    func filesContaining(_ needle: String, under dir: String) throws -> [String] {
        let r = try CLI.exec("/bin/sh", ["-c", "grep -r -l -a -F --exclude='*.enc' -e '\(needle)' '\(dir)' 2>/dev/null; true"])
        return r.stdout.split(separator: "\n").map(String.init)
    }

    @Test func anEncryptedSecretReachesTheContainerAndNeverTheDisk() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/age") else {
            Issue.record("age is not installed (scripts/install-deps.sh installs it)")
            return
        }
        let app = try AppRoot()
        defer { _ = try? app.apply(["down", "-p", "sealed"]) }
        try app.sh("age-keygen -o '\(app.dir)/key.txt' 2>/dev/null")
        let password = "s3cr3t-" + ContainerID.random().short
        let fileSecret = "pw-" + ContainerID.random().short
        try encrypt(app, "DB_PASSWORD=\(password)\n", to: ".env.enc")
        try encrypt(app, fileSecret, to: "pw.enc", armor: true)
        let file = try app.write(Self.spec)
        let key = ["--age-key-file", app.dir + "/key.txt"]

        let first = try app.apply(["-f", file] + key)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let seen = try CLI.run("cnc", ["exec", "--root", app.root, "sealed-web-1", "sh", "-c",
                                       "echo \"$DB_PASSWORD\"; cat /run/secrets/pw; echo; stat -c '%u %a' /run/secrets/pw /run/secrets/owned; echo x > /run/secrets/pw || echo read-only"])
        #expect(seen.stdout == "\(password)\n\(fileSecret)\n0 444\n1000 400\nread-only\n", "\(seen.stdout)\(seen.stderr)")

        // Nowhere under the state root (its run dir included) nor beside the spec, in clear.
        for secret in [password, fileSecret] {
            #expect(try filesContaining(secret, under: app.root) == [])
            #expect(try filesContaining(secret, under: app.dir) == [])
        }
        let inspect = try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{json .Config.Env}}", "sealed-web-1"])
        #expect(inspect.stdout.contains("DB_PASSWORD=<secret: .env.enc hmac-sha256:") && !inspect.stdout.contains(password), "\(inspect.stdout)")
        let config = try CLI.run("cncapply", ["config", "-f", file] + key)
        #expect(config.status == 0, "\(config.stderr)")
        #expect(!config.stdout.contains(password) && config.stdout.contains("DB_PASSWORD: \"<secret: .env.enc hmac-sha256:"), "\(config.stdout)")

        // Changing the secret replaces the service; the cause names the file, not the value.
        let newSecret = "pw-" + ContainerID.random().short
        try encrypt(app, newSecret, to: "pw.enc")
        let diff = try app.apply(["diff", "-f", file] + key)
        #expect(diff.status == 2 && diff.stdout.hasPrefix("web: replace — files.secret:pw \"<secret: pw.enc hmac-sha256:"), "\(diff.stdout)\(diff.stderr)")
        #expect(!diff.stdout.contains(fileSecret) && !diff.stdout.contains(newSecret))
        _ = try app.write(Self.spec.replacingOccurrences(of: "PLAIN: hello", with: "PLAIN: bye"))
        let second = try app.apply(["-f", file] + key)
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        #expect(try CLI.run("cnc", ["exec", "--root", app.root, "sealed-web-1", "cat", "/run/secrets/pw"]).stdout == newSecret)
        #expect(try filesContaining(newSecret, under: app.root) == [])

        // A revision keeps no secret values: a rollback takes them from the spec as decrypted now,
        // and without the spec it refuses rather than start the service with redactions.
        let blind = try app.apply(["rollback", "-p", "sealed", "--to", "1"])
        #expect(blind.status == 1 && blind.stderr.contains("pw.enc is encrypted, and a stored revision keeps no secrets: give the spec (-f) and its age key"), "\(blind.stdout)\(blind.stderr)")
        let back = try app.apply(["rollback", "-f", file, "--to", "1"] + key)
        #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
        let after = try CLI.run("cnc", ["exec", "--root", app.root, "sealed-web-1", "sh", "-c", "echo $PLAIN $DB_PASSWORD; cat /run/secrets/pw"])
        #expect(after.stdout == "hello \(password)\n\(newSecret)", "\(after.stdout)\(after.stderr)")

        // The clear values live only in the container's 0700 directory on a tmpfs, gone with it.
        let id = try CLI.run("cnc", ["inspect", "--root", app.root, "--format", "{{.Id}}", "sealed-web-1"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let sealed = try CLI.exec("/bin/sh", ["-c", "d=$(ls -d /dev/shm/cnc-*-sealed/\(id) \(app.root)/run/containers-sealed/\(id) 2>/dev/null); echo $d; stat -f -c %T $d; stat -c %a $d"])
        let lines = sealed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[1] == "tmpfs" && lines[2] == "700", "\(sealed.stdout)\(sealed.stderr)")
        #expect(try app.apply(["down", "-p", "sealed"]).status == 0)
        if let dir = lines.first { #expect(!FileManager.default.fileExists(atPath: dir), "\(dir) left after down") }

        // A wrong key: a clear error naming the file and what to do; nothing is created.
        try app.sh("age-keygen -o '\(app.dir)/wrong.txt' 2>/dev/null")
        let wrong = try app.apply(["-f", file, "--age-key-file", app.dir + "/wrong.txt"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("cannot decrypt .env.enc: the age key in \(app.dir)/wrong.txt (--age-key-file) is not one it was encrypted to"), "\(wrong.stderr)")
        #expect(try app.containers().isEmpty)
        let missing = try app.apply(["-f", file], env: ["CNC_AGE_KEY_FILE": app.dir + "/none.txt"])
        #expect(missing.status == 1 && missing.stderr.contains("age key file \(app.dir)/none.txt (CNC_AGE_KEY_FILE) does not exist"), "\(missing.stderr)")
    }
}
