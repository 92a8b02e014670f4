/// The NUL-separated "key\0value\0..." files cnc-init and cnc-monitor read (no JSON parser in
/// either, and no escaping problems: a value can hold anything but NUL).
struct NulConfig {
    private(set) var bytes: [UInt8] = []

    mutating func add(_ key: String, _ values: String...) {
        bytes += Array(key.utf8); bytes.append(0)
        for v in values { bytes += Array(v.utf8.filter { $0 != 0 }); bytes.append(0) }
    }
}
