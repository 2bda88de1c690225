package fastinit

import (
	"reflect"
	"testing"
)

// The Go writer and the C reader of the plan agree, field by field.
func TestPlanRoundTrip(t *testing.T) {
	oom := -17
	plans := []Plan{
		{Path: "/bin/true", Args: []string{"true"}, Cwd: "/", LastCap: 40},
		{
			Path: "/usr/bin/env", Args: []string{"env", "", "a b"}, Env: []string{"PATH=/bin", "HOME=/root"},
			Cwd: "/work dir", UID: 1000, GID: 1001, AdditionalGids: []uint32{5, 6, 4294967294},
			Bounding: 1<<40 | 1, Effective: 2, Permitted: 3, Inheritable: 4, Ambient: 1 << 63, LastCap: 63,
			Rlimits:     []Rlimit{{7, 1024, 4096}, {6, ^uint64(0), ^uint64(0)}},
			OOMScoreAdj: &oom, NoNewPrivileges: true, Umask: 0o077,
			Filter: []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0}, SeccompFlags: 5,
			Keyring: "_ses.abc", NewCgroupNS: true, PreserveFDs: 2,
		},
	}
	for _, p := range plans {
		got, ok := Decode(p.Encode())
		if !ok {
			t.Fatalf("C refused the plan %+v", p)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("C read\n%+v\nGo wrote\n%+v", got, p)
		}
	}
}

// A plan cut short, or missing what the init cannot do without, is refused
// whole rather than half applied.
func TestPlanRefused(t *testing.T) {
	good := (&Plan{Path: "/bin/true", Args: []string{"true"}, Cwd: "/", LastCap: 40}).Encode()
	for n := 0; n < len(good); n++ {
		if _, ok := Decode(good[:n]); ok {
			t.Errorf("a plan cut to %d of %d bytes was accepted", n, len(good))
		}
	}
	for _, p := range []Plan{
		{Args: []string{"true"}, Cwd: "/", LastCap: 40},                    // no path
		{Path: "/bin/true", Cwd: "/", LastCap: 40},                         // no args
		{Path: "/bin/true", Args: []string{"true"}, Cwd: "/", LastCap: 64}, // no such capability
		{Path: "/bin/true", Args: []string{"tr\x00ue"}, Cwd: "/", LastCap: 40},
	} {
		if _, ok := Decode(p.Encode()); ok {
			t.Errorf("plan %+v was accepted", p)
		}
	}
}
