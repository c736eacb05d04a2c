package rules

// STUB: to be written (rule, documentation and fixtures).
var tc302 = &Rule{
	ID:       "TC302",
	Name:     "host-passthrough",
	Severity: Warning,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
