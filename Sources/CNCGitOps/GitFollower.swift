import CNCCore
import CNCSystem
import Crypto
import Foundation

/// Follows one branch of one git repository with the system `git` (a child process): a bare
/// clone under `<root>/gitops/<hash of repo and branch>/repo.git`, fetched each cycle, and
/// checkouts of single commits into `trees/<commit>/` that the agent owns.
/// `repo` is a URL git understands, a `file://` URL or a local path.
public struct GitFollower: Sendable {
    public let repo: String
    public let branch: String
    /// `<root>/gitops/<hash>`: this repo and branch's directory, the same across restarts.
    public let directory: String
    let git: String

    public init(repo: String, branch: String, stateRoot: String, git: String = "/usr/bin/git") {
        self.repo = Self.normalized(repo)
        self.branch = branch
        self.directory = stateRoot + "/gitops/" + Self.key(repo: self.repo, branch: branch)
        self.git = git
    }

    /// A local path made absolute (git resolves relative ones against its own working directory).
    static func normalized(_ repo: String) -> String {
        if repo.contains("://") || repo.hasPrefix("git@") || repo.hasPrefix("/") { return repo }
        return FileManager.default.currentDirectoryPath + "/" + repo
    }

    /// The first 16 hex digits of sha256(repo + "\n" + branch).
    public static func key(repo: String, branch: String) -> String {
        let d = SHA256.hash(data: Data((repo + "\n" + branch).utf8))
        return d.map { String(format: "%02x", $0) }.joined().prefix(16).description
    }

    var gitDir: String { directory + "/repo.git" }

    /// Fetches the branch (cloning the first time) and returns the commit its head points to.
    public func fetch() throws -> String {
        if !FileSystem.exists(gitDir + "/HEAD") {
            try FileSystem.createDirectory(directory, mode: 0o700)
            let partial = directory + "/repo.git.partial"
            try? FileSystem.removeTree(partial)
            try run(["init", "--quiet", "--bare", partial], what: "create the clone of \(repo)")
            try FileSystem.rename(partial, to: gitDir)
        }
        try run(["--git-dir", gitDir, "fetch", "--quiet", "--no-tags", "--force", repo, "+refs/heads/\(branch):refs/heads/\(branch)"],
                what: "fetch branch \(branch) of \(repo)")
        return try resolve("refs/heads/\(branch)")
    }

    /// The commit `ref` names in the clone.
    public func resolve(_ ref: String) throws -> String {
        let out = try run(["--git-dir", gitDir, "rev-parse", "--verify", "--quiet", ref + "^{commit}"], what: "resolve \(ref) in \(repo)")
        let commit = out.trimmingCharacters(in: .whitespacesAndNewlines)
        guard commit.count == 40 || commit.count == 64, commit.allSatisfy(\.isHexDigit) else {
            throw CNCError(.integrity, "failed to resolve \(ref) in \(repo): git printed \(commit.debugDescription)")
        }
        return commit
    }

    /// The directory holding the files of `commit` (checked out once; later calls reuse it).
    public func tree(_ commit: String) throws -> String {
        let dir = directory + "/trees/" + commit
        if FileSystem.exists(dir) { return dir }
        try FileSystem.createDirectory(directory + "/trees", mode: 0o700)
        let partial = dir + ".partial"
        try? FileSystem.removeTree(partial)
        try FileSystem.createDirectory(partial, mode: 0o755)
        let index = directory + "/index.partial"
        try? FileSystem.remove(index)
        let env = ["GIT_INDEX_FILE=" + index]
        try run(["--git-dir", gitDir, "read-tree", commit], what: "read commit \(commit) of \(repo)", environment: env)
        try run(["--git-dir", gitDir, "--work-tree", partial, "checkout-index", "--all", "--force"],
                what: "check out commit \(commit) of \(repo)", environment: env)
        try? FileSystem.remove(index)
        try FileSystem.rename(partial, to: dir)
        return dir
    }

    /// Removes the checked-out trees of every commit but `keep`.
    public func removeTrees(except keep: Set<String>) {
        let trees = directory + "/trees"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: trees)) ?? [] where !keep.contains(name) {
            try? FileSystem.removeTree(trees + "/" + name)
        }
    }

    @discardableResult
    func run(_ arguments: [String], what: String, environment: [String] = []) throws -> String {
        let env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "HOME=" + directory,
                   "GIT_CONFIG_NOSYSTEM=1"] + environment
        let r: Spawn.Captured
        do {
            r = try Spawn.capture(git, arguments, environment: env)
        } catch {
            throw CNCError(.notFound, "failed to \(what): cannot run \(git)", cause: "\(error)")
        }
        guard r.termination == .exited(0) else {
            let message = String(decoding: r.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CNCError(.system, "failed to \(what): git exited with status \(r.termination.shellStatus)",
                           cause: message.isEmpty ? nil : message)
        }
        return String(decoding: r.stdout, as: UTF8.self)
    }
}
