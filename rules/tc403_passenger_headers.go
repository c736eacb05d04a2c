package rules

// STUB: to be written (rule, documentation and fixtures).
var tc403 = &Rule{
	ID:       "TC403",
	Name:     "passenger-headers",
	Severity: Info,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
