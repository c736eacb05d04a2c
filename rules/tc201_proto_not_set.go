package rules

// STUB: to be written (rule, documentation and fixtures).
var tc201 = &Rule{
	ID:       "TC201",
	Name:     "proto-not-set",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
