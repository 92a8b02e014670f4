import CNCCore
import CNCRuntime

extension GlobalOptions {
    /// Records an event in this root's log (what `cnc events` reads), with docker's type,
    /// action, actor ID and attributes.
    public func recordEvent(type: String, action: String, id: String, attributes: [String: String] = [:]) {
        Runtime.recordEvent(root: stateRoot, type: type, action: action, id: id, attributes: attributes)
    }

    /// Docker's image event: the actor is the image (its ID, or the reference for pull and
    /// push) and `name` the name it concerns.
    public func recordImageEvent(_ action: String, id: String, name: String) {
        recordEvent(type: "image", action: action, id: id, attributes: ["name": name])
    }

    /// Docker's pull and push events: the familiar reference as actor, its repository as name.
    public func recordRegistryEvent(_ action: String, _ ref: ImageReference) {
        recordImageEvent(action, id: ref.familiar, name: ImageReference(domain: ref.domain, path: ref.path, tag: nil, digest: nil).familiar)
    }
}
