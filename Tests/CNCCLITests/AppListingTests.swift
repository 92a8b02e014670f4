@testable import CNCAppCLI
import Foundation
import Testing

/// `cncapply ls` rows as `docker compose ls` prints them, and the one error prefix.
@Suite struct AppListingTests {
    @Test(arguments: [
        (["running", "running", "running"], false, "running(3)"),
        (["running", "exited", "running"], false, "exited(1), running(2)"),
        (["paused", "created"], false, "created(1), paused(1)"),
        ([], true, "down"),
        ([], false, ""),
    ])
    func combinedStatusAsCompose(states: [String], down: Bool, status: String) {
        #expect(AppListing(name: "a", states: states, revision: 1, configFiles: [], down: down).status == status)
    }

    @Test func onlyAppsWithARunningContainerShowWithoutAll() {
        #expect(AppListing(name: "a", states: ["exited", "running"], revision: 1, configFiles: []).isRunning)
        #expect(!AppListing(name: "a", states: ["exited"], revision: 1, configFiles: []).isRunning)
        #expect(!AppListing(name: "a", states: [], revision: 2, configFiles: [], down: true).isRunning)
    }

    @Test func tableJSONAndQuiet() {
        let apps = [
            AppListing(name: "shop", states: ["running", "running", "running"], revision: 4, configFiles: ["/srv/shop/app.yaml", "/srv/shop/prod.yaml"]),
            AppListing(name: "blog \"x\"", states: [], revision: nil, configFiles: [], down: true),
        ]
        #expect(AppListFormat.table(apps) == [
            "NAME      STATUS      REVISION  CONFIG FILES",
            "shop      running(3)  4         /srv/shop/app.yaml,/srv/shop/prod.yaml",
            "blog \"x\"  down        -         ",
        ].joined(separator: "\n") + "\n")
        #expect(AppListFormat.json(apps) == #"[{"Name":"shop","Status":"running(3)","Revision":4,"ConfigFiles":"/srv/shop/app.yaml,/srv/shop/prod.yaml"},{"Name":"blog \"x\"","Status":"down","Revision":null,"ConfigFiles":""}]"# + "\n")
        #expect(AppListFormat.json([]) == "[]\n")
        #expect(AppListFormat.quiet(apps) == "shop\nblog \"x\"\n")
    }

    @Test func configFilesAreAbsolute() {
        #expect(AppListing.absolute(["app.yaml", "/etc/x.yaml", "-"], directory: "/srv/shop") == ["/srv/shop/app.yaml", "/etc/x.yaml", "-"])
    }

    @Test(arguments: [
        ("no such container: x", "Error: no such container: x\n"),
        ("failed to pull a: Error: manifest unknown", "Error: failed to pull a: Error: manifest unknown\n"),
    ])
    func oneErrorPrefix(message: String, line: String) {
        #expect(ErrorText.line(message) == line)
    }

    @Test func anotherToolsPrefixGoes() {
        #expect(ErrorText.strippingPrefix("Error: manifest unknown") == "manifest unknown")
        #expect(ErrorText.strippingPrefix("cnc: no such image\nError: second") == "no such image\nsecond")
        #expect(ErrorText.strippingPrefix("plain") == "plain")
    }
}
