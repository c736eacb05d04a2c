package rules

// STUB: to be written (rule, documentation and fixtures).
var tc402 = &Rule{
	ID:       "TC402",
	Name:     "realip-ineffective",
	Severity: Warning,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
