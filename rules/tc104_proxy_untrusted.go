package rules

// STUB: to be written (rule, documentation and fixtures).
var tc104 = &Rule{
	ID:       "TC104",
	Name:     "proxy-untrusted",
	Severity: Warning,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
