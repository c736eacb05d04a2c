package rules

// STUB: to be written (rule, documentation and fixtures).
var tc404 = &Rule{
	ID:       "TC404",
	Name:     "tls-legacy",
	Severity: Warning,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
