import CNCAppCLI
import CNCCore
import Testing
@testable import CNCCLI

/// `--format` templates, table alignment, port and size rendering: what docker prints for the same input.
@Suite struct GoTemplateTests {
    static let network: JSONValue = .object([
        "Name": .string("app"), "Id": .string("abc"), "Internal": .bool(false),
        "IPAM": .object(["Driver": .string("default"), "Config": .array([
            .object(["Subnet": .string("10.89.5.0/24"), "Gateway": .string("10.89.5.1")]),
            .object(["Subnet": .string("10.89.6.0/24"), "Gateway": .string("10.89.6.1")]),
        ])]),
        "Containers": .object(["c2": .object(["Name": .string("db")]), "c1": .object(["Name": .string("web")])]),
        "Labels": .object(["tier": .string("front")]),
        "Options": .object([:]),
        "Size": .int(42),
    ])

    @Test(arguments: [
        ("{{.Name}}", "app"),
        ("{{.name}}", "app"),
        ("{{range .IPAM.Config}}{{.Subnet}}{{end}}", "10.89.5.0/2410.89.6.0/24"),
        ("{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}\n{{end}}", "10.89.5.0/24 10.89.5.1\n10.89.6.0/24 10.89.6.1\n"),
        ("{{(index .IPAM.Config 0).Gateway}}", "10.89.5.1"),
        ("{{range $k, $v := .Containers}}{{$k}}={{$v.Name}},{{end}}", "c1=web,c2=db,"),
        ("{{range $i, $c := .IPAM.Config}}{{$i}}:{{$c.Subnet}} {{end}}", "0:10.89.5.0/24 1:10.89.6.0/24 "),
        ("{{range .Options}}x{{else}}none{{end}}", "none"),
        ("{{if .Internal}}internal{{else}}external{{end}}", "external"),
        ("{{if eq .Name \"app\"}}yes{{else if eq .Name \"x\"}}x{{else}}no{{end}}", "yes"),
        ("{{if eq .Name \"zz\"}}yes{{else if eq .Name \"app\"}}second{{else}}no{{end}}", "second"),
        ("{{with .Labels}}{{.tier}}{{end}}", "front"),
        ("{{index .Labels \"tier\"}}", "front"),
        ("{{index .Labels \"nope\"}}", "<no value>"),
        ("{{.Labels.nope}}", "<no value>"),
        ("{{json .Labels}}", "{\"tier\":\"front\"}"),
        ("{{.Name | upper}}", "APP"),
        ("{{upper .Name}}-{{lower \"AB\"}}", "APP-ab"),
        ("{{len .IPAM.Config}}", "2"),
        ("{{printf \"%s:%d\" .Name .Size}}", "app:42"),
        ("{{printf \"%-5s|\" .Name}}", "app  |"),
        ("{{join (split \"a,b\" \",\") \"+\"}}", "a+b"),
        ("{{.Labels}}", "map[tier:front]"),
        ("{{- .Name -}}  \n", "app"),
        ("  {{- .Name}}", "app"),
        ("{{$n := .Name}}{{$n}}", "app"),
        ("{{range .IPAM.Config}}{{$.Name}}{{end}}", "appapp"),
        ("{{not .Internal}} {{and .Name .Size}} {{or .Internal .Name}}", "true 42 app"),
        ("{{gt .Size 40}} {{lt .Size 40}} {{ne .Name \"x\"}}", "true false true"),
    ])
    func renders(_ template: String, _ expected: String) throws {
        #expect(try GoTemplate.render(template, Self.network) == expected)
    }

    @Test(arguments: ["{{.Name", "{{range .IPAM.Config}}x", "{{end}}", "{{nosuchfunc .Name}}", "{{.Name | }}", "{{printf \"%s\" (.Name}}"])
    func badTemplatesAreErrors(_ template: String) {
        #expect(throws: CNCError.self) { try GoTemplate.render(template, Self.network) }
    }

    /// Go's parse errors, found before any data is read (docker's inspect: exit 64): an unknown
    /// function, a variable used outside the block that declares it.
    @Test(arguments: [
        ("{{nofunc .}}", "function \"nofunc\" not defined"),
        ("{{if .Internal}}{{nofunc .}}{{end}}", "function \"nofunc\" not defined"),
        ("{{$x.A}}", "undefined variable \"$x\""),
        ("{{range $i, $c := .IPAM.Config}}{{end}}{{$c}}", "undefined variable \"$c\""),
        ("{{with $l := .Labels}}{{$x := 1}}{{end}}{{$x}}", "undefined variable \"$x\""),
        ("{{len (index $y 0)}}", "undefined variable \"$y\""),
    ])
    func parseErrorsBeforeAnyData(_ template: String, _ message: String) {
        #expect(throws: CNCError(.invalidArgument, "template parsing error: template: :1: " + message)) { try GoTemplate(template).validate() }
    }

    @Test func variablesInTheirScope() throws {
        #expect(try GoTemplate.render("{{$n := .Name}}{{if .Size}}{{$m := $n}}{{$m}}{{end}}{{$n}}", Self.network) == "appapp")
        #expect(try GoTemplate.render("{{range $i, $c := .IPAM.Config}}{{$i}}{{else}}{{end}}{{with $s := .Size}}{{$s}}{{end}}", Self.network) == "0142")
    }

    @Test func fieldOfAStringIsAnError() {
        #expect(throws: CNCError.self) { try GoTemplate.render("{{.Name.Length}}", Self.network) }
    }

    /// docker's inspect (Go's missingkey=error): the error names the node and Go's position of
    /// it, `:LINE:COL:` with COL the byte offset in its line; a path's position is its second
    /// part's. Each expected line is what docker 28 printed for the same template.
    @Test(arguments: [
        ("{{.Bogus}}", ":1:2: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("{{.IPAM.Bogus}}", ":1:7: executing \"\" at <.IPAM.Bogus>: map has no entry for key \"Bogus\""),
        ("x {{json .Bogus}}", ":1:9: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("{{ .Bogus }}", ":1:3: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("a\nb {{.Bogus}}", ":2:4: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("{{.Name.Foo}}", ":1:7: executing \"\" at <.Name.Foo>: can't evaluate field Foo in type interface {}"),
        ("{{range .IPAM.Config}}{{.Bogus}}{{end}}", ":1:24: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("{{if .Internal}}{{else if .Bogus}}{{end}}", ":1:26: executing \"\" at <.Bogus>: map has no entry for key \"Bogus\""),
        ("{{$x := .Labels}}{{$x.Bogus}}", ":1:21: executing \"\" at <$x.Bogus>: map has no entry for key \"Bogus\""),
    ])
    func strictErrorsNameTheNodeAndItsPosition(_ template: String, _ expected: String) {
        var t = GoTemplate(template)
        t.missingKeyIsError = true
        #expect(throws: CNCError(.invalidArgument, "template parsing error: template: " + expected)) { try t.render(json: Self.network) }
    }

    @Test func tableHeaders() {
        #expect(GoTemplate("table {{.ID}}\\t{{.Names}}\\t{{.RunningFor}}").header(ContainerList.headers) == "CONTAINER ID\tNAMES\tCREATED")
        #expect(GoTemplate("table {{.Repository}}\\t{{.ID}}").header() == "REPOSITORY\tIMAGE ID")
        #expect(GoTemplate("table {{.Name}}\\t{{.Driver}}\\t{{.Mountpoint}}").header() == "NAME\tDRIVER\tMOUNTPOINT")
    }
}

@Suite struct TabWriterTests {
    /// Docker's tabwriter: columns as wide as their widest cell plus 3, at least 10; the last
    /// column unpadded.
    @Test func columnsFitTheirContent() {
        let out = TabWriter.render([
            ["CONTAINER ID", "STATUS", "NAMES"],
            ["abc", "Up 2 minutes (health: starting)", "web"],
            ["defdefdefdef", "Exited (137) 3 seconds ago", "a-much-longer-name"],
        ])
        #expect(out == """
            CONTAINER ID   STATUS                            NAMES
            abc            Up 2 minutes (health: starting)   web
            defdefdefdef   Exited (137) 3 seconds ago        a-much-longer-name

            """)
        #expect(TabWriter.format(["A\tB", "x\ty"]) == "A         B\nx         y\n")
    }
}

@Suite struct PortsTextTests {
    func p(_ text: String) throws -> [PublishedPort] { try PublishedPort.parse(text) }

    @Test func publishedAndExposed() throws {
        let ports = PortsText.ports(published: try p("2333:80") + p("127.0.0.1:8080:8080"), exposed: ["80/tcp", "443/tcp", "53/udp"])
        #expect(PortsText.display(ports) == "53/udp, 443/tcp, 127.0.0.1:8080->8080/tcp, 0.0.0.0:2333->80/tcp")
    }

    @Test func rangesGroupAsDockerGroupsThem() throws {
        #expect(PortsText.display(PortsText.ports(published: try p("8000-8002:8000-8002"), exposed: [])) == "0.0.0.0:8000-8002->8000-8002/tcp")
        #expect(PortsText.display(PortsText.ports(published: [], exposed: ["80/tcp", "81/tcp", "83/tcp"])) == "80-81/tcp, 83/tcp")
        #expect(PortsText.display(PortsText.ports(published: [], exposed: [])) == "")
    }
}

@Suite struct UnitsTests {
    @Test(arguments: [(Int64(0), "0B"), (212, "212B"), (16_430_000, "16.43MB"), (1_234, "1.234kB"), (999_999, "1000kB"), (2_000_000_000, "2GB")])
    func humanSize(_ bytes: Int64, _ text: String) { #expect(Units.humanSize(bytes) == text) }

    /// go-units' HumanDuration at its edges: just created, long ago, and the rounding of hours.
    static let durations: [(Double, String)] = [
        (-5, "Less than a second"), (0.4, "Less than a second"), (1, "1 second"), (59.9, "59 seconds"),
        (60, "About a minute"), (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"),
        (3600, "About an hour"), (5399, "About an hour"), (5400, "2 hours"), (169_200, "47 hours"),
        (172_800, "2 days"), (1_123_200, "13 days"), (1_209_600, "2 weeks"), (5_097_600, "8 weeks"),
        (5_184_000, "2 months"), (62_985_600, "24 months"), (63_072_000, "2 years"), (315_360_000, "10 years"),
    ]
    @Test(arguments: durations)
    func humanDuration(_ seconds: Double, _ text: String) { #expect(Units.humanDuration(seconds: seconds) == text) }

    @Test func statsUnits() {
        #expect(Units.humanSize(1_680, precision: 3) == "1.68kB")
        #expect(Units.bytesSize(200_704) == "196KiB")
        #expect(Units.bytesSize(25_275_000_000) == "23.54GiB")
    }
}
