package rules

// STUB: to be written (rule, documentation and fixtures).
var tc202 = &Rule{
	ID:       "TC202",
	Name:     "proto-spoofable",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
