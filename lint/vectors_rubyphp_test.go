package lint

import (
	"os"
	"testing"
)

// TestPHPRecordedVectors replays what Debian's Symfony HttpFoundation 5.4
// computed (testdata/vectors/php/gen.php), Laravel's TrustProxies included.
func TestPHPRecordedVectors(t *testing.T) {
	path := "../testdata/vectors/php/recorded.jsonl"
	n, counts := replayCounted(t, path)
	for _, fw := range []string{"symfony", "laravel"} {
		if c := counts[fw]; c < 1500 {
			t.Errorf("%s has %d %s vectors; want at least 1500", path, c, fw)
		}
	}
	t.Logf("replayed %d recorded PHP vectors", n)
}

// TestPHPModelledVectors replays the hand-checked cases of versions newer
// than Debian's (Symfony 7.2+, Laravel 12), each citing its source line.
func TestPHPModelledVectors(t *testing.T) {
	t.Logf("replayed %d modelled PHP vectors", replayVectors(t, "../testdata/vectors/php/modelled.jsonl"))
}

// TestPHPSymfony72Vectors replays what symfony/http-foundation's 7.2 source
// computed when run here (not packaged in Debian 12): symfony 7 and laravel
// 11-13 through gen.php's TrustProxies transcription.
func TestPHPSymfony72Vectors(t *testing.T) {
	path := "../testdata/vectors/php/symfony72.jsonl"
	t.Logf("replayed %d Symfony 7.2 vectors", replayVectors(t, path))
}

// TestFreshPHPVectors replays a fresh random set .ci/run generates.
func TestFreshPHPVectors(t *testing.T) {
	path := os.Getenv("TRUSTCHECK_FRESH_PHP_VECTORS")
	if path == "" {
		t.Skip("TRUSTCHECK_FRESH_PHP_VECTORS is not set (.ci/run sets it)")
	}
	n := replayVectors(t, path)
	t.Logf("compared %d fresh vectors with Symfony HttpFoundation", n)
	if n == 0 {
		t.Error("no fresh vectors to compare")
	}
}

// TestRubyRecordedVectors replays what Debian's Rails 6.1 (actionpack
// 6.1.7, rack 2.2.22) under Puma 5.6.5 computed (testdata/vectors/ruby/gen.rb).
func TestRubyRecordedVectors(t *testing.T) {
	path := "../testdata/vectors/ruby/recorded.jsonl"
	n, counts := replayCounted(t, path)
	if c := counts["rails"]; c < 1500 {
		t.Errorf("%s has %d rails vectors; want at least 1500", path, c)
	}
	t.Logf("replayed %d recorded Ruby vectors", n)
}

// TestRubyModelledVectors replays the hand-checked cases of Rails 7 and 8.
func TestRubyModelledVectors(t *testing.T) {
	t.Logf("replayed %d modelled Ruby vectors", replayVectors(t, "../testdata/vectors/ruby/modelled.jsonl"))
}

// TestRubyRailsSourceVectors replays Rails 7.2, 8.0 and 8.1's RemoteIp run
// from their own source on Rack 3.2.7 (testdata/vectors/ruby/rails_src.rb).
func TestRubyRailsSourceVectors(t *testing.T) {
	t.Logf("replayed %d Rails 7/8 source vectors", replayVectors(t, "../testdata/vectors/ruby/rails_src.jsonl"))
}

// TestFreshRubyVectors replays a fresh random set .ci/run generates.
func TestFreshRubyVectors(t *testing.T) {
	path := os.Getenv("TRUSTCHECK_FRESH_RUBY_VECTORS")
	if path == "" {
		t.Skip("TRUSTCHECK_FRESH_RUBY_VECTORS is not set (.ci/run sets it)")
	}
	n := replayVectors(t, path)
	t.Logf("compared %d fresh vectors with Rails and Puma", n)
	if n == 0 {
		t.Error("no fresh vectors to compare")
	}
}
