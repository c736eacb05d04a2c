package rules

// STUB: to be written (rule, documentation and fixtures).
var tc107 = &Rule{
	ID:       "TC107",
	Name:     "uneven-paths",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
