//go:build !unix

package main

import (
	"testing"
	"time"
)

// runAsNobody needs Unix credentials; elsewhere the case is skipped.
func runAsNobody(t *testing.T, _ []string) (runResult, time.Duration) {
	t.Skip("running as another user needs Unix")
	return runResult{}, 0
}
