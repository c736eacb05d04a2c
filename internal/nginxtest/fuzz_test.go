package nginxtest

import "testing"

func TestIncludesOutside(t *testing.T) {
	for in, want := range map[string]bool{
		"include /**/*;":             true,
		"0{include /**c/*{}}":        true,
		"include \"/etc/x\";":        true,
		"include\t'../../x';":        true,
		"include a/../../x;":         true,
		"include sub.conf;":          false,
		"include conf.d/*.conf;":     false,
		"location / { root /srv; }":  false,
		"include x; location /a/ {}": false,
	} {
		if got := IncludesOutside([]byte(in)); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}
