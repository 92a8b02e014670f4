import CNCCore
import CNCExport
import CNCSpec
import Testing

/// Export never writes secret values, nor redactions or ciphertext as if they were values.
@Suite struct ExportSealedTests {
    @Test func anAppWithEncryptedValuesIsRefusedNamingThemNotTheirValues() throws {
        var app = AppSpec(name: "s")
        var web = ServiceSpec()
        web.environment = ["DB_PASSWORD": "<secret: .env.enc hmac-sha256:00>", "PLAIN": "a"]
        web.sealedEnvironment = ["DB_PASSWORD": "s3cr3t-value"]
        app.services["web"] = web
        var pw = SecretSpec(name: "s_pw")
        pw.file = "/p/pw.enc"
        app.secrets["pw"] = pw
        app.sealedFiles["/p/pw.enc"] = SealedFile(content: Array("file-value".utf8), digest: "d", shown: "pw.enc")
        #expect {
            try Exporter.refuseSealed(app)
        } throws: { error in
            let text = "\(error)"
            return text.contains("services.web.environment.DB_PASSWORD (<secret: .env.enc hmac-sha256:00>)") && text.contains("secrets.pw (pw.enc)")
                && !text.contains("s3cr3t-value") && !text.contains("file-value")
        }
        app.services["web"]?.sealedEnvironment = [:]
        app.sealedFiles = [:]
        try Exporter.refuseSealed(app)
    }
}
