package goweb

import "github.com/trustcheck/trustcheck/trustmodel"

func newChi(app trustmodel.App) (trustmodel.Evaluator, error) {
	return nil, &trustmodel.UnsupportedError{Msg: "chi: not yet"}
}
