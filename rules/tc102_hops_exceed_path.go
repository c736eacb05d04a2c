package rules

// STUB: to be written (rule, documentation and fixtures).
var tc102 = &Rule{
	ID:       "TC102",
	Name:     "hops-exceed-path",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
