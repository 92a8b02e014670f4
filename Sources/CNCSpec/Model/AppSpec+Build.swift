import CNCCore

extension AppSpec {
    /// The image a service's `build:` produces, as Compose names it: its `image:` when it has
    /// one, else `<project>-<service>` (lowercased: image names are).
    public func builtImageName(service name: String) -> ImageReference? {
        guard let s = services[name], s.build != nil else { return nil }
        return s.image ?? (try? ImageReference(parsing: "\(self.name)-\(name)".lowercased()))
    }

    /// The spec with every built service's `image:` set to the name its build is tagged with, so
    /// the engine (and a revision's stored spec) refers to built images like pulled ones.
    public func namingBuiltImages() -> AppSpec {
        var app = self
        for name in services.keys where services[name]?.build != nil && services[name]?.image == nil {
            app.services[name]?.image = builtImageName(service: name)
        }
        return app
    }

    /// The services that have `build:`, by name.
    public var builtServices: [(name: String, spec: ServiceSpec, build: BuildSpec)] {
        services.sorted { $0.key < $1.key }.compactMap { k, s in s.build.map { (k, s, $0) } }
    }
}
