package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"xrt/container"
	"xrt/image"
)

func TestParseSignal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want unix.Signal
	}{
		{"9", unix.SIGKILL},
		{"1", unix.SIGHUP},
		{"15", unix.SIGTERM},
		{"64", unix.Signal(64)},
		{"34", unix.Signal(34)}, // SIGRTMIN by number
		{"+9", unix.SIGKILL},
		{"KILL", unix.SIGKILL},
		{"SIGKILL", unix.SIGKILL},
		{"sigkill", unix.SIGKILL},
		{"kill", unix.SIGKILL},
		{"Term", unix.SIGTERM},
		{"SIGTERM", unix.SIGTERM},
		{"HUP", unix.SIGHUP},
		{"USR1", unix.SIGUSR1},
		{"sigusr2", unix.SIGUSR2},
		{"WINCH", unix.SIGWINCH},
		{"CHLD", unix.SIGCHLD},
		{"STOP", unix.SIGSTOP},
		{"CONT", unix.SIGCONT},
	} {
		got, err := parseSignal(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSignal(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ in, errHas string }{
		{"-1", "out of range"},
		{"65", "out of range"},
		{"1000", "out of range"},
		{"BOGUS", "use a number or a name"},
		{"SIGBOGUS", "use a number or a name"},
		{"SIG", "use a number or a name"},
		{"", "use a number or a name"},
		{" 9", "use a number or a name"},
		{"9.0", "use a number or a name"},
		{"SIGSIGKILL", "use a number or a name"},
	} {
		got, err := parseSignal(tc.in)
		if err == nil {
			t.Errorf("parseSignal(%q) = %v, want an error", tc.in, got)
			continue
		}
		if !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.in)) {
			t.Errorf("parseSignal(%q) error %q: want it to name the input and say %q", tc.in, err, tc.errHas)
		}
	}
}

func TestMergeEnv(t *testing.T) {
	for _, tc := range []struct {
		name              string
		base, extra, want []string
	}{
		{"nothing", nil, nil, nil},
		{"no extra", []string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{"no base", nil, []string{"A=1"}, []string{"A=1"}},
		{"replace by key in place", []string{"A=1", "B=2", "C=3"}, []string{"B=two"}, []string{"A=1", "B=two", "C=3"}},
		{"append new in order", []string{"A=1"}, []string{"Z=26", "M=13"}, []string{"A=1", "Z=26", "M=13"}},
		{"replace and append", []string{"PATH=/bin", "HOME=/root"}, []string{"X=y", "PATH=/usr/bin"},
			[]string{"PATH=/usr/bin", "HOME=/root", "X=y"}},
		{"key is up to the first =", []string{"A=b=c"}, []string{"A=x=y"}, []string{"A=x=y"}},
		{"empty value", []string{"A=1"}, []string{"A="}, []string{"A="}},
		{"prefix is not the key", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"key is case sensitive", []string{"path=/x"}, []string{"PATH=/y"}, []string{"path=/x", "PATH=/y"}},
		{"last extra wins", []string{"A=0"}, []string{"A=1", "A=2"}, []string{"A=2"}},
		{"new key given twice", nil, []string{"N=1", "N=2"}, []string{"N=2"}},
		{"duplicates in base all replaced", []string{"A=1", "B=2", "A=3"}, []string{"A=x"}, []string{"A=x", "B=2", "A=x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := append([]string(nil), tc.base...)
			got := container.SetEnv(base, tc.extra...)
			if len(got) != len(tc.want) || (len(got) > 0 && !reflect.DeepEqual(got, tc.want)) {
				t.Errorf("mergeEnv(%q, %q) = %q, want %q", tc.base, tc.extra, got, tc.want)
			}
			if !reflect.DeepEqual(base, tc.base) && !(len(base) == 0 && len(tc.base) == 0) {
				t.Errorf("mergeEnv modified base: %q, was %q", base, tc.base)
			}
		})
	}
	// The result never shares base's array: the spec's env stays as it was.
	base := make([]string, 1, 8)
	base[0] = "A=1"
	got := container.SetEnv(base, "A=2", "B=3")
	if base[0] != "A=1" || base[:2][1] != "" || !reflect.DeepEqual(got, []string{"A=2", "B=3"}) {
		t.Errorf("mergeEnv wrote into base: base %q, got %q", base[:2], got)
	}
}

func TestExitCodeAndFailure(t *testing.T) {
	if got := exitCode(3).Error(); got != "exit status 3" {
		t.Errorf("exitCode(3) = %q", got)
	}
	inner := errors.New("no such container")
	var err error = failure{255, inner}
	if err.Error() != "no such container" || !errors.Is(err, inner) {
		t.Errorf("failure: %q, Is inner %v", err, errors.Is(err, inner))
	}
	var f failure
	if !errors.As(fmt.Errorf("wrapped: %w", err), &f) || f.code != 255 {
		t.Errorf("errors.As(failure) = %+v", f)
	}
}

func TestOwnerOf(t *testing.T) {
	if got := ownerOf(filepath.Join(t.TempDir(), "missing")); got != "" {
		t.Errorf("ownerOf(missing) = %q, want empty", got)
	}
	got := ownerOf(t.TempDir())
	if got == "" {
		t.Fatal("ownerOf(a temp dir) is empty")
	}
	if os.Getuid() == 0 && got != "root" && got != "#0" {
		t.Errorf("ownerOf(dir of root) = %q, want root", got)
	}
}

// runWith runs a command with the flags of cmd and action instead of its
// own, so that helpers taking a *cli.Context can be tested without
// touching any container.
func runWith(t *testing.T, cmd *cli.Command, args []string, action cli.ActionFunc) error {
	t.Helper()
	app := &cli.App{
		Name:                   "xrt",
		UseShortOptionHandling: true,
		Writer:                 new(strings.Builder),
		ErrWriter:              new(strings.Builder),
		ExitErrHandler:         func(*cli.Context, error) {},
		// As xrt's own app parses slice flags.
		DisableSliceFlagSeparator: newApp().DisableSliceFlagSeparator,
		Commands:                  []*cli.Command{{Name: cmd.Name, Flags: cmd.Flags, Action: action}},
	}
	return app.Run(append([]string{"xrt", cmd.Name}, args...))
}

func TestOneID(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
		err  string
	}{
		{[]string{"c1"}, "c1", ""},
		{nil, "", "state: expected exactly one container id, got 0 arguments"},
		{[]string{"a", "b"}, "", "state: expected exactly one container id, got 2 arguments"},
	} {
		var id string
		var err error
		runErr := runWith(t, &cli.Command{Name: "state"}, tc.args, func(c *cli.Context) error {
			id, err = oneID(c)
			return nil
		})
		if runErr != nil {
			t.Fatal(runErr)
		}
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("oneID(%q) = %q, %v; want error %q", tc.args, id, err, tc.err)
			}
		} else if err != nil || id != tc.want {
			t.Errorf("oneID(%q) = %q, %v; want %q", tc.args, id, err, tc.want)
		}
	}
}

func TestExecProcess(t *testing.T) {
	umask := uint32(0o027)
	base := &specs.Process{
		Args:         []string{"sh"},
		Env:          []string{"PATH=/bin", "FOO=old"},
		Cwd:          "/",
		User:         specs.User{UID: 0, GID: 0, Umask: &umask},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}, Effective: []string{"CAP_CHOWN"}},
	}
	run := func(t *testing.T, args ...string) (*specs.Process, error) {
		t.Helper()
		var p *specs.Process
		var err error
		if runErr := runWith(t, execCommand, args, func(c *cli.Context) error {
			p, err = execProcess(c, base)
			return nil
		}); runErr != nil {
			t.Fatalf("cli: %v", runErr)
		}
		return p, err
	}

	t.Run("args and flags", func(t *testing.T) {
		p, err := run(t, "--tty", "--cwd", "/tmp", "-e", "FOO=new", "-e", "BAR=1",
			"--user", "1000:100", "-g", "10", "-g", "20",
			"--cap", "CAP_KILL", "--no-new-privs", "--process-label", "lbl", "--apparmor", "prof",
			"cid", "echo", "hi")
		if err != nil {
			t.Fatal(err)
		}
		want := specs.Process{
			Terminal: true,
			Args:     []string{"echo", "hi"},
			Env:      []string{"PATH=/bin", "FOO=new", "BAR=1"},
			Cwd:      "/tmp",
			User:     specs.User{UID: 1000, GID: 100, Umask: &umask, AdditionalGids: []uint32{10, 20}},
			Capabilities: &specs.LinuxCapabilities{
				Bounding:  []string{"CAP_CHOWN", "CAP_KILL"},
				Effective: []string{"CAP_CHOWN", "CAP_KILL"},
				Permitted: []string{"CAP_KILL"},
				// --cap adds no ambient capability: exec never has inheritable ones (CVE-2022-29162)
			},
			NoNewPrivileges: true,
			SelinuxLabel:    "lbl",
			ApparmorProfile: "prof",
		}
		if !reflect.DeepEqual(*p, want) {
			t.Errorf("process:\n got %+v\nwant %+v", *p, want)
		}
		// The container's own process is left as it was.
		if !reflect.DeepEqual(base.Env, []string{"PATH=/bin", "FOO=old"}) || base.Cwd != "/" ||
			base.User.UID != 0 || !reflect.DeepEqual(base.Capabilities.Bounding, []string{"CAP_CHOWN"}) {
			t.Errorf("base process modified: %+v, caps %+v", base, base.Capabilities)
		}
	})
	t.Run("defaults", func(t *testing.T) {
		p, err := run(t, "cid", "ls")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Args, []string{"ls"}) || p.Terminal || p.Cwd != "/" ||
			!reflect.DeepEqual(p.Env, base.Env) || p.Capabilities != base.Capabilities {
			t.Errorf("process = %+v", p)
		}
	})
	t.Run("env value with a comma", func(t *testing.T) {
		p, err := run(t, "-e", "NO_PROXY=a,b", "cid", "ls")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"PATH=/bin", "FOO=old", "NO_PROXY=a,b"}; !reflect.DeepEqual(p.Env, want) {
			t.Errorf("-e NO_PROXY=a,b gives env %q, want %q (urfave/cli v2 splits slice flags on commas)", p.Env, want)
		}
	})
	t.Run("user without gid", func(t *testing.T) {
		p, err := run(t, "--user", "5", "cid", "ls")
		if err != nil || p.User.UID != 5 || p.User.GID != 0 {
			t.Errorf("--user 5: %+v, %v", p, err)
		}
	})
	for _, bad := range [][]string{
		{"--user", "root", "cid", "ls"},
		{"--user", "1:staff", "cid", "ls"},
		{"--user", "-1", "cid", "ls"},
		{"--additional-gids", "wheel", "cid", "ls"},
	} {
		t.Run("bad "+strings.Join(bad[:2], " "), func(t *testing.T) {
			if p, err := run(t, bad...); err == nil || !strings.HasPrefix(err.Error(), "exec: ") {
				t.Errorf("%q: %+v, %v; want an exec: error", bad, p, err)
			}
		})
	}
	t.Run("--process", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "process.json")
		if err := os.WriteFile(path, []byte(`{"args":["top"],"cwd":"/x","user":{"uid":7,"gid":8}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		// The command line's args and flags are ignored then.
		p, err := run(t, "--process", path, "--cwd", "/ignored", "cid", "ignored")
		if err != nil {
			t.Fatal(err)
		}
		want := specs.Process{Args: []string{"top"}, Cwd: "/x", User: specs.User{UID: 7, GID: 8}}
		if !reflect.DeepEqual(*p, want) {
			t.Errorf("got %+v, want %+v", *p, want)
		}
		if err := os.WriteFile(path, []byte(`{"args":`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, "--process", path, "cid"); err == nil || !strings.Contains(err.Error(), "exec: parse --process") {
			t.Errorf("corrupt --process: %v", err)
		}
		if _, err := run(t, "--process", filepath.Join(dir, "missing.json"), "cid"); err == nil || !strings.Contains(err.Error(), "exec: read --process") {
			t.Errorf("missing --process: %v", err)
		}
	})
}

func TestUpdateResources(t *testing.T) {
	run := func(t *testing.T, args ...string) (*specs.LinuxResources, error) {
		t.Helper()
		var r *specs.LinuxResources
		var err error
		if runErr := runWith(t, updateCommand, args, func(c *cli.Context) error {
			r, err = updateResources(c)
			return nil
		}); runErr != nil {
			t.Fatalf("cli: %v", runErr)
		}
		return r, err
	}
	i64 := func(v int64) *int64 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	u16 := func(v uint16) *uint16 { return &v }

	t.Run("no flags", func(t *testing.T) {
		r, err := run(t, "cid")
		if err != nil || !reflect.DeepEqual(r, &specs.LinuxResources{}) {
			t.Errorf("got %+v, %v; want empty resources", r, err)
		}
	})
	t.Run("flags", func(t *testing.T) {
		r, err := run(t, "--memory", "1048576", "--memory-swap", "-1", "--memory-reservation", "524288",
			"--cpu-quota", "50000", "--cpu-period", "100000", "--cpu-shares", "512",
			"--cpu-rt-period", "1000000", "--cpu-rt-runtime", "950000",
			"--cpuset-cpus", "0-1", "--cpuset-mems", "0",
			"--pids-limit", "100", "--blkio-weight", "500", "cid")
		if err != nil {
			t.Fatal(err)
		}
		want := &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: i64(1048576), Reservation: i64(524288), Swap: i64(-1)},
			CPU: &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Shares: u64(512),
				RealtimePeriod: u64(1000000), RealtimeRuntime: i64(950000), Cpus: "0-1", Mems: "0"},
			Pids:    &specs.LinuxPids{Limit: i64(100)},
			BlockIO: &specs.LinuxBlockIO{Weight: u16(500)},
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("got %+v, want %+v", r, want)
		}
	})
	t.Run("flag zero is set", func(t *testing.T) {
		r, err := run(t, "--pids-limit", "0", "cid")
		if err != nil || r.Pids == nil || *r.Pids.Limit != 0 || r.Memory != nil || r.CPU != nil {
			t.Errorf("got %+v, %v", r, err)
		}
	})
	t.Run("--resources file, flags override", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.json")
		if err := os.WriteFile(path, []byte(`{"memory":{"limit":100,"swap":200},"pids":{"limit":5}}`), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := run(t, "-r", path, "--memory", "300", "cid")
		if err != nil {
			t.Fatal(err)
		}
		want := &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: i64(300), Swap: i64(200)},
			Pids:   &specs.LinuxPids{Limit: i64(5)},
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("got %+v, want %+v", r, want)
		}
	})
	t.Run("bad --resources", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := run(t, "-r", filepath.Join(dir, "missing"), "cid"); err == nil || !strings.HasPrefix(err.Error(), "update: ") {
			t.Errorf("missing file: %v", err)
		}
		path := filepath.Join(dir, "bad.json")
		if err := os.WriteFile(path, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := run(t, "-r", path, "cid"); err == nil || !strings.Contains(err.Error(), "update: parse --resources") {
			t.Errorf("corrupt file: %v", err)
		}
	})
}

// The C fast path (faststart/) runs before Go and cannot use Go's
// constants: it copies them into defaults.h, which must not drift.
func TestFaststartSharesTheGoDefaults(t *testing.T) {
	b, err := os.ReadFile("faststart/defaults.h")
	if err != nil {
		t.Fatal(err)
	}
	defines := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#define (XRT_\w+) "([^"]*)"`).FindAllStringSubmatch(string(b), -1) {
		defines[m[1]] = m[2]
	}
	for name, want := range map[string]string{
		"XRT_DEFAULT_ROOT":     defaultRoot,
		"XRT_ROOTLESS_ROOT":    rootlessRootDir,
		"XRT_STORE_ENV":        storeEnv,
		"XRT_DEFAULT_STORE":    image.DefaultStoreDir,
		"XRT_STATE_FILE":       container.StateFile,
		"XRT_CONFIG_FILE":      container.ConfigFile,
		"XRT_FIFO_FILE":        container.FifoFile,
		"XRT_STORE_CONTAINERS": image.ContainersDir,
		"XRT_STORE_TMP":        image.TmpDir,
		"XRT_TMP_CREATING":     image.CreatingPrefix,
		"XRT_TMP_REMOVING":     image.RemovingPrefix,
		"XRT_FASTDEL_FILE":     container.FastdelFile,
		"XRT_FASTDEL_MAGIC":    container.FastdelMagic,
		"XRT_FASTDEL_KEY":      container.FastdelKey,
		"XRT_NO_FASTPATH_ENV":  "XRT_NO_FASTPATH", // README.md documents it
	} {
		if got, ok := defines[name]; !ok || got != want {
			t.Errorf("faststart/defaults.h: %s = %q, the Go side has %q", name, got, want)
		}
	}
	if len(defines) != 15 {
		t.Errorf("defaults.h defines %d names, the test checks 15: check the new ones here", len(defines))
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{"67108864": 67108864, "50M": 50 << 20, "1g": 1 << 30, "1gb": 1 << 30, "512KiB": 512 << 10, "-1": -1, "100b": 100} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "M", "1x", "-5", "1.5.5m"} {
		if _, err := parseMemory(bad); err == nil {
			t.Errorf("parseMemory(%q): want an error", bad)
		}
	}
}
