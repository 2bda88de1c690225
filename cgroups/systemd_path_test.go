package cgroups

import (
	"strings"
	"testing"
)

func TestParseSystemdPath(t *testing.T) {
	for _, tc := range []struct {
		path, id string
		user     bool
		slice    string
		unit     string
		cgroup   string
		err      string
	}{
		{"", "abc", false, "system.slice", "xrt-abc.scope", "/system.slice/xrt-abc.scope", ""},
		{"", "abc", true, "user.slice", "xrt-abc.scope", "/user.slice/xrt-abc.scope", ""},
		{"system.slice:docker:abc", "x", false, "system.slice", "docker-abc.scope", "/system.slice/docker-abc.scope", ""},
		{":docker:abc", "x", false, "system.slice", "docker-abc.scope", "/system.slice/docker-abc.scope", ""},
		{"machine.slice::abc", "x", false, "machine.slice", "abc.scope", "/machine.slice/abc.scope", ""},
		{"a-b.slice:p:n", "x", false, "a-b.slice", "p-n.scope", "/a.slice/a-b.slice/p-n.scope", ""},
		{"-.slice:p:n", "x", false, "-.slice", "p-n.scope", "/p-n.scope", ""},
		{"system.slice:p:box-web.slice", "x", false, "system.slice", "box-web.slice", "/box.slice/box-web.slice", ""},
		{"system.slice:docker", "x", false, "", "", "", "slice:prefix:name"},
		{"a:b:c:d", "x", false, "", "", "", "slice:prefix:name"},
		{"/docker/abc", "x", false, "", "", "", "slice:prefix:name"},
		{"system:docker:abc", "x", false, "", "", "", "not a systemd slice"},
		{"system.scope:docker:abc", "x", false, "", "", "", "not a systemd slice"},
		{".slice:p:n", "x", false, "", "", "", "not a systemd slice"},
		{"a--b.slice:p:n", "x", false, "", "", "", "\"--\""},
		{"-a.slice:p:n", "x", false, "", "", "", "start or end"},
		{"a/b.slice:p:n", "x", false, "", "", "", "does not allow"},
		{"system.slice:p:", "x", false, "", "", "", "name"},
		{"system.slice:p:a b", "x", false, "", "", "", "does not allow"},
		{"system.slice:p:x--y.slice", "x", false, "", "", "", "\"--\""},
		{"", "a/b", false, "", "", "", "cannot name a systemd unit"},
	} {
		u, err := ParseSystemdPath(tc.path, tc.id, tc.user)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseSystemdPath(%q): err %v, want one with %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSystemdPath(%q): %v", tc.path, err)
			continue
		}
		if u.Slice != tc.slice || u.Unit != tc.unit {
			t.Errorf("ParseSystemdPath(%q) = %+v, want slice %q unit %q", tc.path, u, tc.slice, tc.unit)
		}
		if got := systemdCgroupPath(u); got != tc.cgroup {
			t.Errorf("cgroup path of %q = %q, want %q", tc.path, got, tc.cgroup)
		}
	}
}

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"-.slice":       "/",
		"system.slice":  "/system.slice",
		"a-b-c.slice":   "/a.slice/a-b.slice/a-b-c.slice",
		"user-0.slice":  "/user.slice/user-0.slice",
		"machine.slice": "/machine.slice",
	} {
		got, err := ExpandSlice(in)
		if err != nil || got != want {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "slice", ".slice", "a.scope", "a-.slice", "a--b.slice", "a b.slice"} {
		if _, err := ExpandSlice(bad); err == nil {
			t.Errorf("ExpandSlice(%q): no error", bad)
		}
	}
}
