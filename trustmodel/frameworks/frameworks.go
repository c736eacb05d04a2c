// Package frameworks configures an app's evaluator from its framework name:
// the one list of every ecosystem trustcheck models. Each ecosystem lives in
// its own package beside its own address parsing; Node's is trustmodel
// itself.
package frameworks

import (
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/goweb"
)

// New configures the framework the way the app does. The error is the
// framework's own message where it would refuse the configuration.
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	switch strings.ToLower(app.Framework) {
	case "gin", "echo", "chi":
		return goweb.New(app)
	}
	return trustmodel.NewEvaluator(app)
}
