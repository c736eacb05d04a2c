package goweb

import "github.com/trustcheck/trustcheck/trustmodel"

func newEcho(app trustmodel.App) (trustmodel.Evaluator, error) {
	return nil, &trustmodel.UnsupportedError{Msg: "echo: not yet"}
}
