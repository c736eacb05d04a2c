package rules

// STUB: to be written (rule, documentation and fixtures).
var tc103 = &Rule{
	ID:       "TC103",
	Name:     "hops-short-of-path",
	Severity: Warning,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
