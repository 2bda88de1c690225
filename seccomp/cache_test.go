package seccomp

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCompileCached(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	s := dockerDefault(t)
	want := mustCompile(t, s)

	p, err := CompileCached(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Filter, want.Filter) {
		t.Fatal("cache miss: filter differs from Compile's")
	}
	entries := cacheEntries(t, dir)
	if len(entries) != 1 {
		t.Fatalf("cache holds %v, want one entry", entries)
	}

	// A hit must come from the file: make the entry recognisably different.
	hit := *want
	hit.Filter = append([]byte{}, want.Filter...)
	hit.Filter[len(hit.Filter)-1] ^= 0xff
	writeCached(dir, entries[0], &hit)
	p, err = CompileCached(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Filter, hit.Filter) {
		t.Fatal("second call did not use the cache entry")
	}

	// Listener fields are not part of the key, but come from the profile.
	s.ListenerPath, s.ListenerMetadata = "/agent.sock", "per-container"
	p, err = CompileCached(s, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Filter, hit.Filter) || p.ListenerPath != "/agent.sock" || p.ListenerMetadata != "per-container" {
		t.Errorf("listener fields: hit=%v path %q metadata %q", bytes.Equal(p.Filter, hit.Filter), p.ListenerPath, p.ListenerMetadata)
	}
	if n := len(cacheEntries(t, dir)); n != 1 {
		t.Errorf("listener fields made %d cache entries, want 1", n)
	}

	// A corrupt entry is recompiled and replaced.
	if err := os.WriteFile(entries[0], []byte(cacheMagic+"\x00\x00\x00\x00\x00\x00\x00\x00\x00abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err = CompileCached(s, dir); err != nil || !bytes.Equal(p.Filter, want.Filter) {
		t.Fatalf("corrupt entry: %v, filter equal %v", err, p != nil && bytes.Equal(p.Filter, want.Filter))
	}
	if p := readCached(entries[0]); p == nil || !bytes.Equal(p.Filter, want.Filter) {
		t.Error("corrupt entry was not rewritten")
	}

	// Another profile gets another entry; errors are not cached.
	s.Syscalls = s.Syscalls[:1]
	if _, err := CompileCached(s, dir); err != nil {
		t.Fatal(err)
	}
	if n := len(cacheEntries(t, dir)); n != 2 {
		t.Errorf("two profiles, %d entries", n)
	}
	if _, err := CompileCached(&specs.LinuxSeccomp{DefaultAction: "bogus"}, dir); err == nil {
		t.Error("bad profile compiled")
	}
	if n := len(cacheEntries(t, dir)); n != 2 {
		t.Errorf("a failed compile left %d entries, want 2", n)
	}
}

func TestCompileCachedUnwritableDir(t *testing.T) {
	// A cache that cannot be written still yields the program.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := CompileCached(dockerDefault(t), filepath.Join(file, "cache"))
	if err != nil || p == nil || p.Len() == 0 {
		t.Fatalf("CompileCached = %v, %v", p, err)
	}
}

func BenchmarkCompileCachedHit(b *testing.B) {
	dir := b.TempDir()
	s := dockerDefault(b)
	if _, err := CompileCached(s, dir); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := CompileCached(s, dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadDecode(b *testing.B) {
	p, err := Compile(dockerDefault(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := decodeFilter(p.Filter); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCompileCachedKeepsFlagsAndNotify(t *testing.T) {
	dir := t.TempDir()
	s := allowBut(specs.LinuxSyscall{Names: []string{"getppid"}, Action: specs.ActNotify})
	s.ListenerPath = "/agent.sock"
	s.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagWaitKillableRecv}
	want := mustCompile(t, s)
	for i := range 2 { // miss, then hit
		p, err := CompileCached(s, dir)
		if err != nil {
			t.Fatal(err)
		}
		if p.Flags != want.Flags || !p.Notify || p.ListenerPath != "/agent.sock" || !bytes.Equal(p.Filter, want.Filter) {
			t.Errorf("call %d: %+v, want %+v", i, *p, *want)
		}
	}
}

func TestCacheKeyTellsNoFlagsFromEmptyFlags(t *testing.T) {
	s := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow}
	none, err := cacheKey(s)
	if err != nil {
		t.Fatal(err)
	}
	s.Flags = []specs.LinuxSeccompFlag{}
	empty, err := cacheKey(s)
	if err != nil {
		t.Fatal(err)
	}
	if none == empty {
		t.Error("a missing flags list and an empty one share a cache key; they compile differently")
	}
}
