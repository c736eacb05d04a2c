package rules

// STUB: to be written (rule, documentation and fixtures).
var tc203 = &Rule{
	ID:       "TC203",
	Name:     "secure-cookie-untrusted-proxy",
	Severity: Error,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
