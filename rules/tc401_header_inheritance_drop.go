package rules

// STUB: to be written (rule, documentation and fixtures).
var tc401 = &Rule{
	ID:       "TC401",
	Name:     "header-inheritance-drop",
	Severity: Error,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
