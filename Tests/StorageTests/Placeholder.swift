import Testing
@Test func placeholderStorageTests() { #expect(Bool(true)) }
