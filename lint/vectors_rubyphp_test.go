package lint

import (
	"testing"
)

// TestPHPSymfony72Vectors replays what symfony/http-foundation's 7.2 source
// computed when run here (not packaged in Debian 12): symfony 7 and laravel
// 11-13 through gen.php's TrustProxies transcription.
func TestPHPSymfony72Vectors(t *testing.T) {
	path := "../testdata/vectors/php/symfony72.jsonl"
	t.Logf("replayed %d Symfony 7.2 vectors", replayVectors(t, path))
}

// TestFreshPHPVectors replays a fresh random set .ci/run generates.
func TestFreshPHPVectors(t *testing.T) {
	n, counts := replayFresh(t, "TRUSTCHECK_FRESH_PHP_VECTORS")
	t.Logf("compared %d fresh vectors with Symfony HttpFoundation %v", n, counts)
}

// TestRubyRailsSourceVectors replays Rails 7.2, 8.0 and 8.1's RemoteIp run
// from their own source on Rack 3.2.7 (testdata/vectors/ruby/rails_src.rb).
func TestRubyRailsSourceVectors(t *testing.T) {
	t.Logf("replayed %d Rails 7/8 source vectors", replayVectors(t, "../testdata/vectors/ruby/rails_src.jsonl"))
}

// TestFreshRubyVectors replays a fresh random set .ci/run generates.
func TestFreshRubyVectors(t *testing.T) {
	n, _ := replayFresh(t, "TRUSTCHECK_FRESH_RUBY_VECTORS")
	t.Logf("compared %d fresh vectors with Rails and Puma", n)
}
