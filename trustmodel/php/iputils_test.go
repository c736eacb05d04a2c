package php

import (
	"fmt"
	"testing"

	"github.com/trustcheck/trustcheck/internal/vectortest"
)

// TestIpUtilsRecorded replays filter_var(FILTER_VALIDATE_IP) and
// IpUtils::checkIp as PHP 8.2 and Symfony 5.4 ran them
// (testdata/vectors/php/iputils.php): validity, match, or TypeError.
func TestIpUtilsRecorded(t *testing.T) {
	type vector struct {
		IP    string `json:"ip"`
		Entry string `json:"entry"`
		Valid bool   `json:"valid"`
		Check any    `json:"check"`
	}
	vectortest.Lines(t, "../../testdata/vectors/php/iputils.jsonl", func(_ int, v vector) string {
		ok, err := checkIP(v.IP, []proxy{{text: v.Entry}})
		var got any = ok
		if err != nil {
			got = err.Error()
		}
		if valid := filterValidateIP(v.IP, anyFamily); valid != v.Valid || got != v.Check {
			return fmt.Sprintf("ip %q entry %q: filter_var %v checkIp %v, PHP %v %v", v.IP, v.Entry, valid, got, v.Valid, v.Check)
		}
		return ""
	})
}
