import Testing
@Test func placeholderConfigTests() { #expect(Bool(true)) }
