import CNCSpec
import Testing
@testable import CNCEngine

/// A spec volume's `:U` / `:idmap` (`x-cnc: {chown, idmap}`) reach the runtime as `-v`'s options.
@Suite struct VolumeUsernsOptionsTests {
    @Test(arguments: [
        (ServiceVolumeSpec.CNCOptions?.none, ""), (.init(chown: true), "U"), (.init(idmap: true), "idmap"),
        (.init(chown: true, idmap: true), "U,idmap"), (.init(chown: false, idmap: false), ""),
    ])
    func optionsForTheRuntime(_ cnc: ServiceVolumeSpec.CNCOptions?, _ options: String) {
        var v = ServiceVolumeSpec(type: .bind, source: "/a", target: "/b")
        v.cnc = cnc
        #expect(ServiceContainerFactory.usernsOptions(v) == options)
    }
}
