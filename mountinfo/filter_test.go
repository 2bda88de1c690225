package mountinfo

import (
	"slices"
	"strings"
	"testing"
)

const filterSample = `1 0 8:1 / / rw - ext4 /dev/sda1 rw
2 1 0:2 / /a rw - tmpfs tmpfs rw
3 2 0:3 / /a/b rw - tmpfs tmpfs rw
4 1 0:4 / /ab rw - tmpfs tmpfs rw
5 2 0:5 / /a rw - tmpfs tmpfs rw
6 1 0:6 / /b/a rw - tmpfs tmpfs rw
`

func mountpoints(t *testing.T, f FilterFunc) []string {
	t.Helper()
	mounts, err := GetMountsFromReader(strings.NewReader(filterSample), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range mounts {
		out = append(out, m.Mountpoint)
	}
	return out
}

func TestPrefixFilter(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"/a", []string{"/a", "/a/b", "/a"}},
		{"/a/", []string{"/a", "/a/b", "/a"}},
		{"/a/b", []string{"/a/b"}},
		{"/", []string{"/", "/a", "/a/b", "/ab", "/a", "/b/a"}},
		{"/b", []string{"/b/a"}},
		{"/c", nil},
	} {
		if got := mountpoints(t, PrefixFilter(tc.prefix)); !slices.Equal(got, tc.want) {
			t.Errorf("PrefixFilter(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func TestSingleEntryFilter(t *testing.T) {
	for _, tc := range []struct {
		mp   string
		want []string
	}{
		{"/a", []string{"/a"}}, // the first of the two stacked mounts
		{"/a/", []string{"/a"}},
		{"/ab", []string{"/ab"}},
		{"/nope", nil},
	} {
		if got := mountpoints(t, SingleEntryFilter(tc.mp)); !slices.Equal(got, tc.want) {
			t.Errorf("SingleEntryFilter(%q) = %q, want %q", tc.mp, got, tc.want)
		}
	}
	mounts, _ := GetMountsFromReader(strings.NewReader(filterSample), SingleEntryFilter("/a"))
	if len(mounts) != 1 || mounts[0].ID != 2 {
		t.Fatalf("got %+v, want only mount 2", mounts)
	}
}

func TestFilterStopKeepsEntry(t *testing.T) {
	n := 0
	got := mountpoints(t, func(*Info) (bool, bool) {
		n++
		return false, n == 2
	})
	if !slices.Equal(got, []string{"/", "/a"}) {
		t.Fatalf("got %q, want the first two entries", got)
	}
}
