package mountinfo

import (
	"strings"
	"testing"
)

func FuzzGetMountsFromReader(f *testing.F) {
	f.Add(sample)
	f.Add(filterSample)
	f.Add("1 0 8:1 / / rw - ext4 /dev/sda1 rw")
	f.Add(`1 0 8:1 /\040 /a\134 rw - ext4 \011 rw`)
	f.Fuzz(func(t *testing.T, in string) {
		mounts, err := GetMountsFromReader(strings.NewReader(in), nil)
		if err != nil && mounts != nil {
			t.Fatal("mounts returned with an error")
		}
		for _, m := range mounts {
			if m.ID < 0 || m.Parent < 0 || m.Major < 0 || m.Minor < 0 {
				t.Fatalf("negative number in %+v", m)
			}
		}
	})
}
