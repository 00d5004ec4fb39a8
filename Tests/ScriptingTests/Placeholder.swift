import Testing
@Test func placeholderScriptingTests() { #expect(Bool(true)) }
