package rules

var tc001 = &Rule{
	ID:       "TC001",
	Name:     "unused-suppression",
	Severity: Warning,
	Doc: Doc{
		Title: "A trustcheck:ignore comment suppresses nothing",
		Rationale: "An ignore comment that matches no finding hides nothing today, but it will silently hide a real finding " +
			"the day one appears on that line. Ignores also need a reason, so that a reviewer can judge whether it still holds.",
		Bad: "# trustcheck:ignore TC101 legacy\n" +
			"proxy_set_header X-Forwarded-For $remote_addr;",
		Good: "proxy_set_header X-Forwarded-For $remote_addr;",
		Fix:  "Remove the comment, or put it on (or directly above) the line the finding is reported at, with a reason.",
	},
	// Lint reports TC001 itself, after every other rule has run and the
	// suppressions have been applied.
	Check: func(*Pass) {},
}
