package containerid

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	for _, ok := range []string{"a", "A-b_c+d.e", "0123456789abcdef", "..a", strings.Repeat("x", MaxLen)} {
		if err := Validate(ok); err != nil {
			t.Errorf("Validate(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a/b", "a b", "a:b", "a\x00", "é", strings.Repeat("x", MaxLen+1)} {
		if err := Validate(bad); err == nil || !strings.Contains(err.Error(), "invalid container id") {
			t.Errorf("Validate(%q) = %v, want an invalid container id error", bad, err)
		}
	}
}
