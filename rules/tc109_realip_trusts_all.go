package rules

// STUB: to be written (rule, documentation and fixtures).
var tc109 = &Rule{
	ID:       "TC109",
	Name:     "realip-trusts-all",
	Severity: Error,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
