import CNCCore
import Foundation
import Testing
@testable import CNCSpec

/// Compose `userns_mode` and the app-wide `x-cnc: {userns: ...}`.
@Suite struct SpecUsernsTests {
    @Test func appWideSettingFillsServicesThatSayNothing() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx}
              db: {image: postgres, userns_mode: "auto:size=1000"}
              tool: {image: busybox, userns_mode: host}
            x-cnc:
              userns: private
            """])
        let app = try dir.load().app
        #expect(app.services["web"]?.usernsMode == "auto")
        #expect(app.services["db"]?.usernsMode == "auto:size=1000")
        #expect(app.services["tool"]?.usernsMode == "host")
        // It is part of the config: changing it recreates the container.
        let sections = try #require(try app.services["db"]?.hashSections())
        #expect(sections["userns_mode"] == .string("auto:size=1000"))
    }

    @Test func badModesAreSpecErrorsAtTheirPlace() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx, userns_mode: keep-id}
            x-cnc:
              userns: sideways
            """])
        #expect { try dir.load() } throws: { e in
            let text = (e as? SpecErrors)?.description ?? ""
            return text.contains("app.yaml:2:") && text.contains("services.web.userns_mode: \"keep-id\": keep-id is only supported in rootless mode")
                && text.contains("app.yaml:4:") && text.contains("x-cnc.userns: \"sideways\": --userns: invalid USER mode")
        }
    }

    /// Rootless cnc's spec (cncapply as an unprivileged user): keep-id and nomap are valid
    /// modes, and a bad keep-id option is an error at its place.
    @Test func rootlessSpecsTakeKeepIDAndNomap() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx, userns_mode: keep-id}
              db: {image: postgres, userns_mode: "keep-id:uid=200,gid=210"}
              tool: {image: busybox, userns_mode: nomap}
              app: {image: busybox}
            x-cnc:
              userns: auto
            """])
        let app = try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: dir.path, rootless: true)).app
        #expect(app.services.mapValues { $0.usernsMode } == ["web": "keep-id", "db": "keep-id:uid=200,gid=210", "tool": "nomap", "app": "auto"])
        let bad = try SpecDir(["app.yaml": """
            services:
              web: {image: nginx, userns_mode: "keep-id:uid=x"}
              db: {image: nginx, userns_mode: "auto:size=-1"}
            """])
        #expect { try SpecLoader.load(SpecLoadOptions(files: ["app.yaml"], workingDirectory: bad.path, rootless: true)) } throws: { e in
            let text = (e as? SpecErrors)?.description ?? ""
            return text.contains("app.yaml:2:") && text.contains("services.web.userns_mode: \"keep-id:uid=x\": invalid --userns \"keep-id:uid=x\": keep-id takes uid=N and gid=N (valid: host, auto, auto:size=N, keep-id, keep-id:uid=N,gid=N, nomap, CONTAINER:HOST:SIZE[,...])")
                && text.contains("app.yaml:3:") && text.contains("auto takes size=N (N > 0)")
        }
        // Root-run cnc's spec refuses nomap as it refuses keep-id (podman's words).
        let root = try SpecDir(["app.yaml": "services:\n  web: {image: nginx, userns_mode: nomap}\n"])
        #expect { try root.load() } throws: { e in
            ((e as? SpecErrors)?.description ?? "").contains("services.web.userns_mode: \"nomap\": nomap is only supported in rootless mode")
        }
    }

    /// podman's `:U` / `:idmap` in the short syntax; `x-cnc: {chown, idmap}` in the long one
    /// (Compose has no key for them; the compose-spec proposal of one was declined).
    @Test func volumesCarryUAndIdmap() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web:
                image: nginx
                volumes:
                  - ./site:/site:U,idmap,ro
                  - data:/data:U
                  - {type: volume, source: logs, target: /logs, x-cnc: {chown: true}}
                  - {type: bind, source: ./cfg, target: /cfg, x-cnc: {idmap: true}}
                  - {type: bind, source: ./plain, target: /plain}
            volumes: {data: {}, logs: {}}
            """])
        let app = try dir.load().app
        let v = try #require(app.services["web"]?.volumes)
        #expect(v.map(\.cnc) == [.init(chown: true, idmap: true), .init(chown: true), .init(chown: true), .init(idmap: true), nil])
        #expect(v[0].readOnly)
        // Part of the config: adding :U recreates the container; none leaves hashes as they were.
        let sections = try #require(try app.services["web"]?.hashSections())
        let text = "\(sections["volumes"].map { "\($0)" } ?? "")"
        #expect(text.contains("x-cnc") && text.contains("chown"), "\(text)")
    }

    @Test func volumeUsernsOptionsInTheWrongPlaceAreSpecErrors() throws {
        let dir = try SpecDir(["app.yaml": """
            services:
              web:
                image: nginx
                volumes:
                  - {type: tmpfs, target: /t, x-cnc: {chown: true}}
                  - {type: bind, source: ./a, target: /a, x-cnc: {chmod: true}}
                  - ./b:/b:UU
            """])
        #expect { try dir.load() } throws: { e in
            let text = (e as? SpecErrors)?.description ?? ""
            return text.contains("app.yaml:5:") && text.contains("chown and idmap apply to type: bind and type: volume only")
                && text.contains("services.web.volumes[1].x-cnc.chmod: unknown key")
                && text.contains("\"UU\" is not a volume option")
        }
    }
}
