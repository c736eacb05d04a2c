package rules

// STUB: to be written (rule, documentation and fixtures).
var tc112 = &Rule{
	ID:       "TC112",
	Name:     "localhost-family",
	Severity: Warning,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
