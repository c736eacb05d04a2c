package rules

// STUB: to be written (rule, documentation and fixtures).
var tc106 = &Rule{
	ID:       "TC106",
	Name:     "direct-bypass",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
