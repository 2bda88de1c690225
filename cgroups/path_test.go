package cgroups

import (
	"strings"
	"testing"
)

func TestPathFor(t *testing.T) {
	for _, tc := range []struct{ in, id, want, err string }{
		{"", "abc", "/xrt/abc", ""},
		{"/docker/abc", "x", "/docker/abc", ""},
		{"/kubepods//burstable/./pod1/", "x", "/kubepods/burstable/pod1", ""},
		{"web/abc", "x", "/xrt/web/abc", ""},
		{"system.slice:docker:abc", "x", "/xrt/system.slice:docker:abc", ""},
		{"/a/../b", "x", "", `cgroupsPath "/a/../b" must not contain ".."`},
		{"..", "x", "", `cgroupsPath ".." must not contain ".."`},
		{"x/..", "x", "", `must not contain ".."`},
		{"/", "x", "", "names the root"},
		{".", "x", "", "names the root"},
		{"", "", "", "cannot name a cgroup"},
		{"", "a/b", "", "cannot name a cgroup"},
		{"", "..", "", "cannot name a cgroup"},
	} {
		got, err := PathFor(tc.in, tc.id)
		if tc.err != "" {
			if err == nil {
				t.Errorf("PathFor(%q, %q) = %q, want error %q", tc.in, tc.id, got, tc.err)
			} else if !strings.Contains(err.Error(), tc.err) {
				t.Errorf("PathFor(%q, %q): error %q, want %q", tc.in, tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PathFor(%q, %q) = %q, %v; want %q", tc.in, tc.id, got, err, tc.want)
		}
		if err := checkPath(got); err != nil {
			t.Errorf("PathFor result %q rejected by New: %v", got, err)
		}
	}
}
