package nginxconf

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestPackedServersDecodeAsParsed packs the server blocks of every
// configuration of the repository and of the corpus and decodes each: the
// same directives, positions, flags and nesting as parsed; the other
// directives are copies of the parsed ones.
func TestPackedServersDecodeAsParsed(t *testing.T) {
	var files []string
	for _, pattern := range []string{modelDir + "/*.conf", modelDir + "/*/*.conf", "../testdata/rules/*/*/*.conf", "../testdata/parts/*.conf", corpusDir + "/*/*", corpusDir + "/*/*/*"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	servers := 0
	// a small dictionary, filled by the first files: the later ones'
	// texts are written inline, the others named by index
	dict := newPackDict()
	dict.limit = 200
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			continue // a directory
		}
		parsed, _, diags := parseBytes(name, data)
		if len(diags) > 0 {
			continue
		}
		again, _, _ := parseBytes(name, data)
		packed := packServers(dict, again)
		servers += comparePacked(t, name, parsed, packed)
	}
	if servers < 100 {
		t.Fatalf("%d server blocks packed in %d files", servers, len(files))
	}
	t.Logf("%d server blocks packed and decoded in %d files", servers, len(files))
}

func comparePacked(t *testing.T, file string, parsed, packed []*Directive) (servers int) {
	t.Helper()
	if len(parsed) != len(packed) {
		t.Errorf("%s: %d directives parsed, %d packed", file, len(parsed), len(packed))
		return 0
	}
	for i, want := range parsed {
		got := packed[i]
		if got.packed != nil {
			servers++
			if body := got.body(); !reflect.DeepEqual(body, want.Block) {
				t.Errorf("%s:%d: the server block decodes unlike it was parsed", file, want.Pos.Line)
			}
			g := *got
			g.packed, g.Block = nil, want.Block
			if !reflect.DeepEqual(&g, want) {
				t.Errorf("%s:%d: the packed server directive is %+v, parsed %+v", file, want.Pos.Line, got, want)
			}
			continue
		}
		g, w := *got, *want
		g.Block, w.Block = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:%d: copied as %+v, parsed %+v", file, want.Pos.Line, got, want)
		}
		servers += comparePacked(t, file, want.Block, got.Block)
	}
	return servers
}
