package checkpoint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestCgMode(t *testing.T) {
	for in, want := range map[string]rpc.CriuCgMode{
		"": rpc.CriuCgMode_DEFAULT, "soft": rpc.CriuCgMode_SOFT, "full": rpc.CriuCgMode_FULL,
		"strict": rpc.CriuCgMode_STRICT, "ignore": rpc.CriuCgMode_IGNORE,
	} {
		if got, err := cgMode(in); err != nil || got != want {
			t.Errorf("cgMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := cgMode("props"); err == nil || !strings.Contains(err.Error(), "--manage-cgroups-mode") {
		t.Errorf("cgMode(props): %v, want an error naming the flag", err)
	}
}

func TestPageServerAndEmptyNs(t *testing.T) {
	ps, err := (&Options{PageServer: "10.0.0.1:27277"}).pageServer()
	if err != nil || ps.GetAddress() != "10.0.0.1" || ps.GetPort() != 27277 {
		t.Errorf("pageServer: %v, %v", ps, err)
	}
	for _, bad := range []string{"10.0.0.1", ":1", "h:x", "h:0"} {
		if _, err := (&Options{PageServer: bad}).pageServer(); err == nil {
			t.Errorf("pageServer(%q): no error", bad)
		}
	}
	if m, err := (&Options{EmptyNs: []string{"network"}}).emptyNs(); err != nil || m == 0 {
		t.Errorf("emptyNs(network) = %x, %v", m, err)
	}
	if _, err := (&Options{EmptyNs: []string{"pid"}}).emptyNs(); err == nil {
		t.Error("emptyNs(pid): no error")
	}
}

func TestCheckParent(t *testing.T) {
	img := t.TempDir()
	os.Mkdir(filepath.Join(img, "p"), 0o700)
	os.WriteFile(filepath.Join(img, "f"), nil, 0o600)
	if err := checkParent(img, "p"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"/abs", "missing", "f"} {
		if err := checkParent(img, bad); err == nil || !strings.Contains(err.Error(), "--parent-path") {
			t.Errorf("checkParent(%q) = %v", bad, err)
		}
	}
}

func TestExternalMounts(t *testing.T) {
	rootfs := t.TempDir()
	os.MkdirAll(filepath.Join(rootfs, "real/conf"), 0o755)
	os.Symlink("/real/conf", filepath.Join(rootfs, "conf"))
	spec := &specs.Spec{
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/conf", Type: "none", Source: "/srv/conf", Options: []string{"rbind"}},
			{Destination: "/data", Type: "bind", Source: "/srv/data"},
		},
		Linux: &specs.Linux{MaskedPaths: []string{"/proc/kcore"}},
	}
	got := map[string]string{}
	for _, m := range restoreMounts(spec, rootfs) {
		got[m.GetKey()] = m.GetVal()
	}
	want := map[string]string{"/real/conf": "/srv/conf", "/data": "/srv/data", "/dev/null": "/dev/null"}
	if len(got) != len(want) {
		t.Fatalf("restore mounts %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("restore mount %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// At dump the key is also the value; /proc/kcore of pid 1 may not be
	// readable here, masked files are checked in the integration tests.
	for _, m := range dumpMounts(spec, rootfs, os.Getpid()) {
		if m.GetKey() == "/real/conf" && m.GetVal() != "/real/conf" {
			t.Errorf("dump mount %s = %s", m.GetKey(), m.GetVal())
		}
	}
}

func TestOnTmpfs(t *testing.T) {
	mounts := []specs.Mount{{Destination: "/dev", Type: "tmpfs"}}
	if !onTmpfs("/dev/pts", mounts) || onTmpfs("/dev", mounts) || onTmpfs("/devices", mounts) {
		t.Error("onTmpfs")
	}
}

func TestConfigFile(t *testing.T) {
	o := &rpc.CriuOpts{}
	configFile(o, nil)
	if o.GetConfigFile() != "/etc/criu/runc.conf" {
		t.Errorf("default config file %q", o.GetConfigFile())
	}
	o = &rpc.CriuOpts{}
	configFile(o, map[string]string{ConfigAnnotation: ""})
	if o.ConfigFile != nil {
		t.Errorf("empty annotation: config file %q, want none", o.GetConfigFile())
	}
	o = &rpc.CriuOpts{}
	configFile(o, map[string]string{ConfigAnnotation: "/x.conf"})
	if o.GetConfigFile() != "/x.conf" {
		t.Errorf("config file %q", o.GetConfigFile())
	}
}

func TestWithLogQuotesErrors(t *testing.T) {
	log := filepath.Join(t.TempDir(), "dump.log")
	os.WriteFile(log, []byte("(0.1) fine\n(0.2) Error (a.c:1): first\n(0.3) ok\n(0.4) Error (b.c:2): Dumping FAILED.\n"), 0o600)
	err := withLog(&Error{Op: "DUMP"}, log)
	for _, want := range []string{"criu DUMP failed", "Dumping FAILED", log} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	err = withLog(&Error{Op: "RESTORE"}, filepath.Join(t.TempDir(), "none.log"))
	if !strings.Contains(err.Error(), "no CRIU log at") {
		t.Errorf("%q: want a note that there is no log", err)
	}
}

func TestMissingCriu(t *testing.T) {
	old := Binary
	Binary = "criu-that-is-not-installed"
	defer func() { Binary = old }()
	_, err := Version()
	if err == nil || !strings.Contains(err.Error(), "CRIU is not installed") {
		t.Errorf("Version() without CRIU: %v", err)
	}
}

func TestCheckImage(t *testing.T) {
	dir := t.TempDir()
	if err := checkImage(filepath.Join(dir, "none")); err == nil || !strings.Contains(err.Error(), "--image-path") {
		t.Errorf("missing dir: %v", err)
	}
	if err := checkImage(dir); err == nil || !strings.Contains(err.Error(), "no checkpoint") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "inventory.img"), []byte("x"), 0o600)
	if err := checkImage(dir); err != nil {
		t.Errorf("dir with an inventory: %v", err)
	}
}
