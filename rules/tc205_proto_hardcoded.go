package rules

// STUB: to be written (rule, documentation and fixtures).
var tc205 = &Rule{
	ID:       "TC205",
	Name:     "proto-hardcoded",
	Severity: Warning,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
