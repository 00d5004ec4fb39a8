import Testing
@Test func placeholderCodecTests() { #expect(Bool(true)) }
