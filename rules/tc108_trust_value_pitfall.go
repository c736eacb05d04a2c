package rules

// STUB: to be written (rule, documentation and fixtures).
var tc108 = &Rule{
	ID:       "TC108",
	Name:     "trust-value-pitfall",
	Severity: Error,
	NeedsApp: false,
	Check:    func(*Pass) {},
}
