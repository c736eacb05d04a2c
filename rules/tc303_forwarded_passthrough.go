package rules

// STUB: to be written (rule, documentation and fixtures).
var tc303 = &Rule{
	ID:       "TC303",
	Name:     "forwarded-passthrough",
	Severity: Warning,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
