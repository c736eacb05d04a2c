package nginxconf

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

const corpusDir = "../../shared/corpus"

// oneLineErr is "file:line: reason" (or "file: reason" for a file-level
// problem), on a single line.
var oneLineErr = regexp.MustCompile(`^[^\n]+?(:\d+)?: [^\n]+$`)

// TestCorpus loads every file of the shared corpus on its own: each either
// loads or fails with a one-line "file:line: reason" error, never a panic.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("corpus not present at " + corpusDir)
	}
	var files []string
	err := filepath.WalkDir(corpusDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct {
		name string
		opts LoadOptions
	}{
		{"strict", LoadOptions{}},
		{"allow-missing-includes", LoadOptions{AllowMissingIncludes: true}},
	} {
		loaded, failed, proxies, servers, confFailed := 0, 0, 0, 0, 0
		reasons := map[string]int{}
		start := time.Now()
		for _, f := range files {
			cfg, err := func() (cfg *Config, err error) {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s: panic: %v", f, r)
						err = errors.New("panic")
					}
				}()
				return Load(mode.opts, f)
			}()
			if err != nil {
				failed++
				msg := err.Error()
				var le *LoadError
				if !errors.As(err, &le) {
					t.Errorf("%s: error is %T, want *LoadError", f, err)
				}
				if !oneLineErr.MatchString(msg) {
					t.Errorf("%s: error is not one \"file:line: reason\" line: %q", f, msg)
				}
				reasons[reasonOf(le)]++
				if isConfName(f) {
					confFailed++
				}
				continue
			}
			loaded++
			servers += len(cfg.Servers)
			proxies += len(cfg.Proxies())
		}
		t.Logf("%s: %d files: %d loaded (%d servers, %d proxying places), %d failed with a one-line error (%d of them nginx config files), 0 panics; %v",
			mode.name, len(files), loaded, servers, proxies, failed, confFailed, time.Since(start).Round(time.Millisecond))
		keys := make([]string, 0, len(reasons))
		for r := range reasons {
			keys = append(keys, r)
		}
		sort.Slice(keys, func(i, j int) bool {
			return reasons[keys[i]] > reasons[keys[j]] || reasons[keys[i]] == reasons[keys[j]] && keys[i] < keys[j]
		})
		for _, r := range keys {
			t.Logf("  %4d  %s", reasons[r], r)
		}
	}
}

// isConfName: a file meant as nginx configuration (not a README or YAML).
func isConfName(p string) bool {
	b := filepath.Base(p)
	return strings.HasSuffix(b, ".conf") || strings.HasSuffix(b, ".conf.sample") || b == "default"
}

// TestCorpusDirectories loads each corpus project as a directory argument.
func TestCorpusDirectories(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("corpus not present at " + corpusDir)
	}
	for _, d := range []string{"h5bp-server-configs-nginx", "ghost-cli", "crossplane-testdata/testdata/configs/includes-globbed", "crossplane-testdata/testdata/configs/ubuntu-default"} {
		start := time.Now()
		cfg, err := Load(LoadOptions{AllowMissingIncludes: true}, filepath.Join(corpusDir, d))
		if err != nil {
			if !oneLineErr.MatchString(err.Error()) {
				t.Errorf("%s: error %q", d, err)
			}
			t.Logf("%s: %v", d, err)
			continue
		}
		t.Logf("%s: %d files, %d servers, %d proxying places, %d warnings; %v", d, len(cfg.Files), len(cfg.Servers), len(cfg.Proxies()), len(cfg.Warnings), time.Since(start).Round(time.Millisecond))
	}
}

// reasonOf shortens an error to its kind for the summary.
func reasonOf(le *LoadError) string {
	if le == nil || len(le.Diagnostics) == 0 {
		return "?"
	}
	m := le.Diagnostics[0].Message
	switch {
	case strings.HasPrefix(m, "include "):
		switch {
		case strings.Contains(m, "matches no file"):
			return "include matches no file"
		case strings.Contains(m, "creates a cycle"):
			return "include creates a cycle"
		}
		return "include: " + m[strings.LastIndex(m, ":")+1:]
	case strings.HasPrefix(m, "unexpected"), strings.HasPrefix(m, "premature"):
		return m
	}
	if len(m) > 60 {
		m = m[:60]
	}
	return m
}
