import CNCCore
import Testing
@testable import CNCExport

@Suite struct KubeValuesTests {
    @Test(arguments: [("0.5", "500m"), ("2", "2"), ("0.25", "250m"), ("1.5", "1500m"), ("0.015", "15m")])
    func cpu(_ text: String, _ want: String) throws {
        #expect(KubeValues.cpu(try CPUQuantity(parsing: text)) == want)
    }

    @Test(arguments: [("256m", "256Mi"), ("1g", "1Gi"), ("32M", "32Mi"), ("1536k", "1536Ki"), ("1000", "1000")])
    func memory(_ text: String, _ want: String) throws {
        #expect(KubeValues.memory(try ByteSize(parsing: text)) == want)
    }

    @Test(arguments: [("web", "web"), ("my_svc", "my-svc"), ("Web.1", "web-1"), ("-x-", "x")])
    func names(_ text: String, _ want: String) {
        #expect(KubeValues.name(text) == want)
        #expect(KubeValues.isName(want))
    }

    @Test func labels() {
        #expect(KubeValues.isLabel("com.example/tier", "front-end"))
        #expect(KubeValues.isLabel("tier", ""))
        #expect(!KubeValues.isLabel("com.example.description", "Accounting webapp"))
        #expect(!KubeValues.isLabel("a/b/c", "x"))
    }
}
