package ruby

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
)

// TestRack3Recorded replays Rack 3.2.7's forwarded_for and scheme as run
// from its source (testdata/vectors/ruby/rack3.rb; Debian 12 has no Rack 3).
func TestRack3Recorded(t *testing.T) {
	type vector struct {
		FwdPriority  []string          `json:"forwarded_priority"`
		ProtoPrio    []string          `json:"x_forwarded_proto_priority"`
		Env          map[string]string `json:"env"`
		ForwardedFor []*string         `json:"forwarded_for"`
		Scheme       string            `json:"scheme"`
	}
	vectortest.Lines(t, "../../testdata/vectors/ruby/rack3.jsonl", func(_ int, v vector) string {
		env := &rackEnv{vars: v.Env}
		var want []string // nil entries are dropped by sanitize_ips
		for _, a := range v.ForwardedFor {
			if a != nil {
				want = append(want, *a)
			}
		}
		r := &rails{v: railsVersions["8"], forwardedPriority: v.FwdPriority, protoPriority: v.ProtoPrio}
		got := rackForwardedFor(env, v.FwdPriority)
		if len(got) == 0 && len(want) == 0 {
			got, want = nil, nil
		}
		if !reflect.DeepEqual(got, want) || r.scheme(env) != v.Scheme {
			return fmt.Sprintf("env %v: forwarded_for %q scheme %q, Rack 3.2.7 %q %q", v.Env, got, r.scheme(env), want, v.Scheme)
		}
		return ""
	})
}
