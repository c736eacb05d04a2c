package rules

// STUB: to be written (rule, documentation and fixtures).
var tc204 = &Rule{
	ID:       "TC204",
	Name:     "session-proxy-any-peer",
	Severity: Warning,
	NeedsApp: true,
	Check:    func(*Pass) {},
}
