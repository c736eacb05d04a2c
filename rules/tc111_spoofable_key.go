package rules

// STUB: to be written (rule, documentation and fixtures).
var tc111 = &Rule{
	ID:       "TC111",
	Name:     "spoofable-key",
	Severity: Error,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
