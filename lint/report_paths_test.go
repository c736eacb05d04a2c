package lint

import "testing"

// TestPathCollectorFollowsPaths: lint, checking a fleet a part at a time,
// keeps the diagrams of the first paths with a problem, numbered and named
// as `trustcheck paths` numbers and names them, and counts the rest.
func TestPathCollectorFollowsPaths(t *testing.T) {
	conf := writeFleet(t, 40) // 160 paths, each with a client-chosen req.hostname (TC301)
	o := Options{Inputs: []string{conf}}
	pr, err := prepare(o)
	if err != nil {
		t.Fatal(err)
	}
	c := &pathCollector{max: 70}
	if _, err := lintSeeing(o, 16, c.see); err != nil {
		t.Fatal(err)
	}
	if len(c.views) != 70 || c.omitted != len(pr.paths)-70 || c.app != `express 5, trust proxy "loopback"` {
		t.Fatalf("%d views, %d omitted of %d paths, app %q", len(c.views), c.omitted, len(pr.paths), c.app)
	}
	for _, v := range c.views {
		if p := pr.paths[v.Number-1]; p.Entry != v.Entry {
			t.Fatalf("view %d is %q; path %d is %q", v.Number, v.Entry, v.Number, p.Entry)
		}
	}
}

// TestMermaidTextEscapes: nothing a header value can hold ends a Mermaid
// statement or opens markup, nor ends a DOT string or forms a Graphviz escape.
func TestMermaidTextEscapes(t *testing.T) {
	got := mermaidText("a;b#c<d>e\nf\rg")
	if got != "a#59;b#35;c#lt;d#gt;e f g" {
		t.Errorf("mermaidText = %q", got)
	}
	if got := dotEscape(`a"b\N`); got != `a\"b\\N` {
		t.Errorf("dotEscape = %q", got)
	}
}

// TestShowHostile: once lint knows a path's findings, its diagram shows the
// hostile client the first of them names, and keeps no other.
func TestShowHostile(t *testing.T) {
	view := func() pathView {
		return pathView{
			Replays: []replayView{{Label: "honest client"}, {Hostile: true, inject: "X-Forwarded-For"}},
			others:  map[string]replayView{"X-Real-IP": {Hostile: true, inject: "X-Real-IP"}, "Host": {Hostile: true, inject: "Host"}},
		}
	}
	for _, c := range []struct {
		headers []string
		want    string
	}{
		{[]string{"X-Real-IP", "Host"}, "X-Real-IP"},
		{[]string{"X-Forwarded-For", "X-Real-IP"}, "X-Forwarded-For"},
		{[]string{"Forwarded"}, "X-Forwarded-For"}, // not kept: the first stays
		{nil, "X-Forwarded-For"},
	} {
		v := view()
		v.showHostile(c.headers)
		if v.Replays[1].inject != c.want || v.others != nil || len(v.Replays) != 2 {
			t.Errorf("showHostile(%q): shows %s, others %v", c.headers, v.Replays[1].inject, v.others)
		}
	}
}
