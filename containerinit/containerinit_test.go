package containerinit

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/bundle"
)

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is subject to the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	writeFile(t, filepath.Join(dir, "prog"), 0o755)
	writeFile(t, filepath.Join(dir, "noexec"), 0o644)
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Also executable in a later directory: the first one wins.
	writeFile(t, filepath.Join(other, "prog"), 0o755)
	writeFile(t, filepath.Join(other, "later"), 0o755)
	// Not executable in the first directory, executable in the second.
	writeFile(t, filepath.Join(other, "noexec"), 0o755)

	path := "PATH=" + dir + ":" + other
	notFound := func(name string) string {
		return `exec: "` + name + `": executable file not found in $PATH`
	}
	for _, tc := range []struct {
		name, file string
		env        []string
		want       string
		err        string // exact error; "" for none
		errHas     string // or a part of it
	}{
		{"found", "prog", []string{path}, filepath.Join(dir, "prog"), "", ""},
		{"found in a later dir", "later", []string{path}, filepath.Join(other, "later"), "", ""},
		{"not executable skipped", "noexec", []string{path}, filepath.Join(other, "noexec"), "", ""},
		{"not executable only", "noexec", []string{"PATH=" + dir}, "", notFound("noexec"), ""},
		{"directory skipped", "adir", []string{"PATH=" + dir}, "", notFound("adir"), ""},
		{"missing", "nosuch", []string{path}, "", notFound("nosuch"), ""},
		{"last PATH wins", "prog", []string{"PATH=" + other, "FOO=bar", "PATH=" + dir}, filepath.Join(dir, "prog"), "", ""},
		{"PATH prefix only", "prog", []string{"XPATH=" + dir, "PATH=" + other}, filepath.Join(other, "prog"), "", ""},
		{"slash: found", filepath.Join(dir, "prog"), nil, filepath.Join(dir, "prog"), "", ""},
		{"slash: not in PATH needed", filepath.Join(other, "later"), []string{"PATH=" + dir}, filepath.Join(other, "later"), "", ""},
		{"slash: not executable", filepath.Join(dir, "noexec"), []string{path}, "", "",
			`exec: "` + filepath.Join(dir, "noexec") + `": permission denied`},
		{"slash: directory", filepath.Join(dir, "adir"), []string{path}, "", "",
			`exec: "` + filepath.Join(dir, "adir") + `": is a directory`},
		{"slash: missing", filepath.Join(dir, "nosuch"), []string{path}, "", "",
			"no such file or directory"},
		{"slash: not looked up in PATH", "sub/prog", []string{"PATH=" + filepath.Dir(dir)}, "", "",
			`exec: "sub/prog": `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookPath(tc.file, "/", tc.env)
			switch {
			case tc.err != "":
				if err == nil || err.Error() != tc.err {
					t.Errorf("lookPath(%q) = %q, %v; want error %q", tc.file, got, err, tc.err)
				}
			case tc.errHas != "":
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("lookPath(%q) = %q, %v; want an error containing %q", tc.file, got, err, tc.errHas)
				}
			default:
				if err != nil || got != tc.want {
					t.Errorf("lookPath(%q) = %q, %v; want %q", tc.file, got, err, tc.want)
				}
			}
			if err != nil && got != "" {
				t.Errorf("lookPath(%q) returned %q with its error", tc.file, got)
			}
		})
	}
}

func TestLookPathEmptyEntryIsDot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "here"), 0o755)
	want := filepath.Join(dir, "here")
	for _, p := range []string{"PATH=:/nonexistent", "PATH=/nonexistent:", "PATH=/nonexistent::/nonexistent"} {
		got, err := lookPath("here", dir, []string{p})
		if err != nil || got != want {
			t.Errorf("%s: lookPath = %q, %v; want %q (an empty entry is the process's cwd)", p, got, err, want)
		}
	}
	// A relative name is relative to the cwd the program starts in.
	if got, err := lookPath("./here", dir, nil); err != nil || got != want {
		t.Errorf("./here in %s: lookPath = %q, %v; want %q", dir, got, err, want)
	}
	// An empty PATH has no entries at all, as with os/exec: nothing is found.
	if got, err := lookPath("here", dir, []string{"PATH="}); err == nil {
		t.Errorf("PATH=: lookPath = %q, want not found", got)
	}
}

func TestLookPathDefaultPath(t *testing.T) {
	// Without PATH in env, the default is searched: /bin/sh is on every host
	// that runs these tests.
	sh, err := lookPath("sh", "/", []string{"FOO=bar"})
	if err != nil {
		t.Skipf("no sh in %s: %v", defaultPath, err)
	}
	if !strings.HasSuffix(sh, "/sh") || !strings.Contains(defaultPath, filepath.Dir(sh)) {
		t.Errorf("lookPath(sh) = %q, not in %s", sh, defaultPath)
	}
}

func TestEnv(t *testing.T) {
	t.Run("explicit HOME kept", func(t *testing.T) {
		in := []string{"PATH=/bin", "HOME=/custom", "TERM=xterm"}
		p := &specs.Process{Env: in}
		got := env(p)
		if !reflect.DeepEqual(got, in) {
			t.Errorf("env = %q, want %q", got, in)
		}
	})
	t.Run("a name twice: once, last value, first place", func(t *testing.T) {
		in := []string{"ONE=two", "PATH=/bin", "ONE=", "HOME=/h", "ONE=three"}
		want := []string{"ONE=three", "PATH=/bin", "HOME=/h"}
		if got := env(&specs.Process{Env: in}); !reflect.DeepEqual(got, want) {
			t.Errorf("env = %q, want %q", got, want)
		}
	})
	for _, in := range [][]string{{"HOME="}, {"HOME=/override", "HOME="}} {
		t.Run(fmt.Sprintf("empty HOME set %q", in), func(t *testing.T) {
			got := env(&specs.Process{Env: in, User: specs.User{UID: uint32(os.Getuid())}})
			if len(got) != 1 || got[0] == "HOME=" || !strings.HasPrefix(got[0], "HOME=") {
				t.Errorf("env = %q, want one HOME from /etc/passwd", got)
			}
		})
	}
	for _, tc := range []struct {
		name string
		in   []string
	}{
		{"nil env", nil},
		{"no HOME", []string{"PATH=/bin", "TERM=xterm"}},
		{"HOMEX is not HOME", []string{"HOMEX=/x", "XHOME=/y"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]string(nil), tc.in...)
			// Spare capacity: env must not write into the caller's array.
			in := make([]string, len(tc.in), len(tc.in)+4)
			copy(in, tc.in)
			got := env(&specs.Process{Env: in, User: specs.User{UID: uint32(os.Getuid())}})
			var homes []string
			for _, kv := range got {
				if strings.HasPrefix(kv, "HOME=") {
					homes = append(homes, kv)
				}
			}
			if len(homes) != 1 {
				t.Fatalf("env = %q: want exactly one HOME= entry", got)
			}
			if homes[0] == "HOME=" {
				t.Errorf("HOME is empty: want a directory, / at least")
			}
			if !slices.Equal(got[:len(orig)], orig) {
				t.Errorf("env = %q: want %q first, unchanged", got, orig)
			}
			if !slices.Equal(in, orig) || in[:len(in)+1][len(in)] != "" {
				t.Errorf("env wrote into the process' env array: %q", in[:cap(in)])
			}
		})
	}
}

func TestHomeDirUnknownUID(t *testing.T) {
	// No passwd entry (or no /etc/passwd): "/".
	if got := homeDir(4294967290); got != "/" {
		t.Errorf("homeDir(unknown uid) = %q, want /", got)
	}
}

func TestParseCaps(t *testing.T) {
	num := func(name string) uint64 {
		n, ok := bundle.CapabilityNumber(name)
		if !ok {
			t.Fatalf("bundle does not know %s", name)
		}
		return 1 << uint(n)
	}
	t.Run("nil", func(t *testing.T) {
		s, ign := parseCaps(nil)
		if ign != nil || s != (capSets{}) {
			t.Errorf("parseCaps(nil) = %+v, %v; want zero", s, ign)
		}
	})
	t.Run("empty", func(t *testing.T) {
		s, ign := parseCaps(&specs.LinuxCapabilities{})
		if ign != nil || s != (capSets{}) {
			t.Errorf("parseCaps(empty) = %+v, %v; want zero", s, ign)
		}
	})
	t.Run("names to bits", func(t *testing.T) {
		s, ign := parseCaps(&specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"},
			Effective:   []string{"CAP_KILL"},
			Permitted:   []string{"CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_KILL"},
			Inheritable: []string{"CAP_AUDIT_WRITE"},
			Ambient:     []string{"CAP_NET_RAW"},
		})
		if ign != nil {
			t.Fatalf("ignored %v", ign)
		}
		want := capSets{
			bounding:    1<<0 | 1<<5 | 1<<21, // chown, kill, sys_admin per capabilities(7)
			effective:   1 << 5,
			permitted:   1<<5 | 1<<10,
			inheritable: 1 << 29,
			ambient:     1 << 13,
		}
		if s != want {
			t.Errorf("parseCaps = %+v, want %+v", s, want)
		}
		if want.bounding != num("CAP_CHOWN")|num("CAP_KILL")|num("CAP_SYS_ADMIN") {
			t.Errorf("capability numbers in this test disagree with bundle")
		}
	})
	t.Run("high capability", func(t *testing.T) {
		if lastCap() < 40 {
			t.Skip("this kernel has no CAP_CHECKPOINT_RESTORE")
		}
		s, ign := parseCaps(&specs.LinuxCapabilities{Bounding: []string{"CAP_CHECKPOINT_RESTORE"}})
		if ign != nil {
			t.Fatalf("ignored %v", ign)
		}
		if s.bounding != 1<<40 {
			t.Errorf("CAP_CHECKPOINT_RESTORE = %#x, want 1<<40", s.bounding)
		}
	})
	for _, tc := range []struct {
		name string
		caps specs.LinuxCapabilities
		bad  string
	}{
		{"bounding", specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_BOGUS"}}, "CAP_BOGUS"},
		{"effective", specs.LinuxCapabilities{Effective: []string{"chown"}}, "chown"},
		{"permitted", specs.LinuxCapabilities{Permitted: []string{"CHOWN"}}, "CHOWN"},
		{"inheritable", specs.LinuxCapabilities{Inheritable: []string{""}}, ""},
		{"ambient", specs.LinuxCapabilities{Ambient: []string{"cap_kill"}}, "cap_kill"},
	} {
		t.Run("unknown in "+tc.name, func(t *testing.T) {
			s, ign := parseCaps(&tc.caps)
			if len(ign) != 1 || ign[0] != tc.bad {
				t.Errorf("parseCaps ignored %q, want [%q]", ign, tc.bad)
			}
			if tc.name == "bounding" && s.bounding != 1 {
				t.Errorf("known CAP_CHOWN beside it = %#x, want 1", s.bounding)
			}
		})
	}
}
