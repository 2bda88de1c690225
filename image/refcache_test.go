package image

import (
	"os"
	"path/filepath"
	"testing"
)

func mustParseRef(t *testing.T, s string) Ref {
	t.Helper()
	r, err := ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLookupRefHitsOnlyWhileTheSourceIsUnchanged(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	a, b := mustParseRef(t, l.dir+":a"), mustParseRef(t, l.dir+":b")
	if _, ok := s.LookupRef(a); ok {
		t.Fatal("hit before any pull")
	}
	rec, err := s.PullRef(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.LookupRef(a); !ok || got != rec.ManifestDigest {
		t.Fatalf("after a pull: %q %v, want %s", got, ok, rec.ManifestDigest)
	}
	if _, ok := s.LookupRef(b); ok {
		t.Fatal("tag b hit; only a was pulled")
	}

	// index.json written again (same bytes): the layout may say
	// something else now, so the entry is stale until the next pull.
	index := filepath.Join(l.dir, "index.json")
	data, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.LookupRef(a); ok {
		t.Fatal("hit after index.json changed")
	}
	if _, err := s.PullRef(a); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.LookupRef(a); !ok {
		t.Fatal("miss after pulling again")
	}
}

func TestLookupRefMissesRemovedImages(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	a := mustParseRef(t, l.dir+":a")
	rec, err := s.PullRef(a)
	if err != nil {
		t.Fatal(err)
	}
	// The record gone behind the store's back: a miss, never a create
	// that fails.
	recPath := s.recordPath(rec.ManifestDigest)
	data, err := os.ReadFile(recPath)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(recPath)
	if _, ok := s.LookupRef(a); ok {
		t.Fatal("hit with the record gone")
	}
	if err := os.WriteFile(recPath, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// image rm forgets the name, so a create pulls (and names) it again.
	if err := s.RemoveImage(a.String()); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.LookupRef(a); ok {
		t.Fatal("hit after image rm")
	}
	if _, err := os.Stat(s.refPath(a.String())); !os.IsNotExist(err) {
		t.Fatalf("entry left after image rm: %v", err)
	}
}

func TestPruneRemovesStaleRefs(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	a, b := mustParseRef(t, l.dir+":a"), mustParseRef(t, l.dir+":b")
	for _, r := range []Ref{a, b} {
		if _, err := s.PullRef(r); err != nil {
			t.Fatal(err)
		}
	}
	stale := s.refPath("gone")
	if err := os.WriteFile(stale, []byte("1:2:3:4.0:5.0\nsha256:"+digestHex(digestOf([]byte("x")))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	damaged := s.refPath("damaged")
	if err := os.WriteFile(damaged, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Prune(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{stale, damaged} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left by prune: %v", filepath.Base(p), err)
		}
	}
	for _, r := range []Ref{a, b} {
		if _, ok := s.LookupRef(r); !ok {
			t.Errorf("prune removed the entry of %s, whose image is there", r)
		}
	}
}
