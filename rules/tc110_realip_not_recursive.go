package rules

// STUB: to be written (rule, documentation and fixtures).
var tc110 = &Rule{
	ID:       "TC110",
	Name:     "realip-not-recursive",
	Severity: Warning,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
