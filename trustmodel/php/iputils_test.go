package php

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// TestIpUtilsRecorded replays filter_var(FILTER_VALIDATE_IP) and
// IpUtils::checkIp as PHP 8.2 and Symfony 5.4 ran them
// (testdata/vectors/php/iputils.php): validity, match, or TypeError.
func TestIpUtilsRecorded(t *testing.T) {
	f, err := os.Open("../../testdata/vectors/php/iputils.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, bad := 0, 0
	for sc.Scan() {
		var v struct {
			IP    string `json:"ip"`
			Entry string `json:"entry"`
			Valid bool   `json:"valid"`
			Check any    `json:"check"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		n++
		ok, err := checkIP(v.IP, []proxy{{text: v.Entry}})
		var got any = ok
		if err != nil {
			got = err.Error()
		}
		if valid := filterValidateIP(v.IP, anyFamily); valid != v.Valid || got != v.Check {
			if bad++; bad <= 30 {
				t.Errorf("ip %q entry %q: filter_var %v checkIp %v, want %v %v", v.IP, v.Entry, valid, got, v.Valid, v.Check)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d disagree with PHP", bad, n)
	}
}
