package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The fake trees: t.TempDir() laid out like /sys/fs/cgroup, with the files
// a test needs pre-created (writeFile never creates files, as on cgroupfs).

// fakeV1Hierarchies are the fake v1 mounts: cpu and cpuacct co-mounted (as
// on most distributions), net_cls and net_prio too.
var fakeV1Hierarchies = []string{"blkio", "cpu,cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory", "net_cls,net_prio", "pids", "rdma"}

const fakePath = "/xrt/c1"

// fakeV1 builds a legacy-host manager for fakePath over a temp root. files
// maps "controller/file" (e.g. "memory/memory.limit_in_bytes") to its
// initial content; the file is created in the controller's hierarchy.
func fakeV1(t *testing.T, files map[string]string) (*v1Manager, string) {
	t.Helper()
	root := t.TempDir()
	m := &mounts{subsys: map[string]string{}}
	for _, h := range fakeV1Hierarchies {
		mp := filepath.Join(root, h)
		mkdir(t, mp+fakePath)
		m.hierarchies = append(m.hierarchies, mp)
		for c := range strings.SplitSeq(h, ",") {
			m.subsys[c] = mp
		}
	}
	v := newV1(m, "", fakePath)
	for name, content := range files {
		ctrl, file, _ := strings.Cut(name, "/")
		dir := v.dirs[ctrl]
		if dir == "" {
			t.Fatalf("fakeV1: no hierarchy for %q", name)
		}
		put(t, dir+"/"+file, content)
	}
	return v, root
}

// fakeV2 builds a v2 manager for fakePath over a temp root, with files
// ("memory.max" -> content) in the cgroup directory.
func fakeV2(t *testing.T, files map[string]string) (*v2Manager, string) {
	t.Helper()
	root := t.TempDir()
	v := newV2(root, fakePath, true)
	mkdir(t, v.dir)
	for file, content := range files {
		put(t, v.dir+"/"+file, content)
	}
	return v, root
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func put(t *testing.T, p, content string) {
	t.Helper()
	mkdir(t, filepath.Dir(p))
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recordWrites records every write made until the test ends, as
// "path-relative-to-root=value".
func recordWrites(t *testing.T, root string) *[]string {
	t.Helper()
	var got []string
	traceWrite = func(p, v string) {
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = p
		}
		got = append(got, rel+"="+v)
	}
	t.Cleanup(func() { traceWrite = nil })
	return &got
}

func wantWrites(t *testing.T, got *[]string, want ...string) {
	t.Helper()
	if !slices.Equal(*got, want) {
		t.Errorf("writes:\n got  %q\n want %q", *got, want)
	}
	*got = (*got)[:0]
}

// captureWarnings collects Warnf output until the test ends.
func captureWarnings(t *testing.T) *[]string {
	t.Helper()
	var got []string
	Warnf = func(f string, a ...any) { got = append(got, fmt.Sprintf(f, a...)) }
	t.Cleanup(func() { Warnf = nil })
	return &got
}

func wantErr(t *testing.T, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", substr)
	}
	if !strings.Contains(err.Error(), substr) {
		t.Fatalf("error %q does not contain %q", err, substr)
	}
}

func wantNotMounted(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrNotMounted) {
		t.Fatalf("error %v is not ErrNotMounted", err)
	}
}

func ptr[T any](v T) *T { return &v }
