/// The help of `cnc pull|push|login|logout`, which two commands show: the listing in cnc-cli's
/// `cnc --help` and the command itself in cnc-registry (which serves `cnc pull --help`).
public enum RegistryHelp {
    public static let pullAbstract = "Download an image from a registry."
    public static let pullExamples = "EXAMPLES\n  cnc pull busybox\n  cnc pull alpine:3.20\n  cnc pull --platform linux/arm64 alpine\n  cnc pull -q localhost:5000/web:v2"
    public static let pushAbstract = "Upload an image to a registry."
    public static let pushExamples = "EXAMPLES\n  cnc push localhost:5000/web:v2\n  cnc push --insecure-registry registry.lan:5000 registry.lan:5000/web:v2"
    public static let loginAbstract = "Log in to a registry."
    public static let loginExamples = "EXAMPLES\n  cnc login -u jane --password-stdin registry.example.com < token.txt\n  cnc login -u jane localhost:5000 --password-stdin < token.txt"
    public static let logoutAbstract = "Log out from a registry."
    public static let logoutExamples = "EXAMPLES\n  cnc logout registry.example.com\n  cnc logout"
}
