package rules

// STUB: to be written (rule, documentation and fixtures).
var tc301 = &Rule{
	ID:       "TC301",
	Name:     "forwarded-host-spoofable",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
