// Package frameworks configures an app's evaluator from its framework name:
// the one list of every ecosystem trustcheck models. Each ecosystem lives in
// its own package beside its own address parsing; Node's is trustmodel
// itself.
package frameworks

import (
	"strings"

	"github.com/trustcheck/trustcheck/trustmodel"
	"github.com/trustcheck/trustcheck/trustmodel/dotnet"
	"github.com/trustcheck/trustcheck/trustmodel/goweb"
	"github.com/trustcheck/trustcheck/trustmodel/jvm"
	"github.com/trustcheck/trustcheck/trustmodel/php"
	"github.com/trustcheck/trustcheck/trustmodel/python"
	"github.com/trustcheck/trustcheck/trustmodel/ruby"
)

// New configures the framework the way the app does. The error is the
// framework's own message where it would refuse the configuration.
func New(app trustmodel.App) (trustmodel.Evaluator, error) {
	ev, err := framework(app)
	if err != nil {
		return nil, err
	}
	return trustmodel.WithClientIPFrom(ev, app.ClientIPFrom)
}

// framework is the framework's own evaluator.
func framework(app trustmodel.App) (trustmodel.Evaluator, error) {
	switch strings.ToLower(app.Framework) {
	case "symfony", "laravel":
		return php.New(app)
	case "rails":
		return ruby.New(app)
	case "spring-boot":
		return jvm.New(app)
	case "aspnetcore":
		return dotnet.New(app)
	case "flask", "django", "fastapi":
		return python.New(app)
	case "gin", "echo", "chi":
		return goweb.New(app)
	}
	return trustmodel.NewEvaluator(app)
}
