package ring

// Test hooks (see export_test.go): nil outside tests, one predictable
// branch on the hot path.
var hookAfterClaim, hookAfterTake func()
