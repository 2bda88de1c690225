package image

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// unpackCounter counts testHookUnpacked calls per chain ID.
type unpackCounter struct {
	mu    sync.Mutex
	n     map[string]int
	delay time.Duration
}

func countUnpacks(t *testing.T, delay time.Duration) *unpackCounter {
	c := &unpackCounter{n: map[string]int{}, delay: delay}
	testHookUnpacked = func(chain string) {
		c.mu.Lock()
		c.n[chain]++
		c.mu.Unlock()
		time.Sleep(c.delay)
	}
	t.Cleanup(func() { testHookUnpacked = nil })
	return c
}

func (c *unpackCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.n {
		n += v
	}
	return n
}

// twoImages makes a layout with images "a" (base, app) and "b" (base,
// other) sharing their base layer.
func twoImages(t *testing.T) *testLayout {
	l := newLayout(t)
	l.add(l.image(imageOpts{}, baseTar(t), appTar(t)), "a")
	l.add(l.image(imageOpts{}, baseTar(t), layerTar(t, "other=1")), "b")
	return l
}

func mustPull(t *testing.T, s *Store, ref string) *Record {
	t.Helper()
	img := mustResolve(t, ref)
	rec, err := s.Pull(img, ref)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestPullSharedLayers(t *testing.T) {
	c := countUnpacks(t, 0)
	l := twoImages(t)
	s := openStore(t)
	a := mustPull(t, s, l.dir+":a")
	b := mustPull(t, s, l.dir+":b")
	if a.Layers[0].ChainID != b.Layers[0].ChainID {
		t.Fatalf("base chain ids differ: %s %s", a.Layers[0].ChainID, b.Layers[0].ChainID)
	}
	if c.total() != 3 || len(dirNames(t, s.path("layers"))) != 3 || len(dirNames(t, s.path("l"))) != 3 {
		t.Fatalf("%d unpacks, layers %v, links %v; want 3 of each", c.total(), dirNames(t, s.path("layers")), dirNames(t, s.path("l")))
	}
	// The same layers from a docker save archive are already there.
	save, _ := dockerSaveDir(t, "a:v1", baseTar(t), appTar(t))
	mustPull(t, s, save)
	mustPull(t, s, l.dir+":a")
	if c.total() != 3 {
		t.Fatalf("pulling again unpacked: %v", c.n)
	}
	top := a.Layers[1]
	dir := s.layerDir(top.ChainID)
	for name, want := range map[string]string{"diffid": top.DiffID, "parent": a.Layers[0].ChainID, "link": shortID(top.ChainID)} {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(s.linkPath(top.ChainID), "app", "run")); err != nil || string(b) != "run" {
		t.Errorf("app/run through the short link: %q, %v", b, err)
	}
	if a.Size <= 0 || a.Size != a.Layers[0].Size+a.Layers[1].Size {
		t.Errorf("record size %d, layers %+v", a.Size, a.Layers)
	}
	got, err := s.Lookup(l.dir + ":a")
	if err != nil || got == nil || got.ManifestDigest != a.ManifestDigest || got.Config.Config.Cmd[0] != "/bin/sh" {
		t.Fatalf("Lookup: %+v, %v", got, err)
	}
}

func TestConcurrentPullGoroutines(t *testing.T) {
	c := countUnpacks(t, 20*time.Millisecond)
	l := twoImages(t)
	s := openStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ref, _ := ParseRef(l.dir + ":" + []string{"a", "b"}[i%2])
			img, err := Resolve(ref)
			if err != nil {
				errs <- err
				return
			}
			defer img.Close()
			_, err = s.Pull(img, ref.String())
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for chain, n := range c.n {
		if n != 1 {
			t.Errorf("layer %s unpacked %d times", chain, n)
		}
	}
	if c.total() != 3 {
		t.Errorf("%d unpacks, want 3", c.total())
	}
}

// TestHelperProcess is not a test: other tests run the test binary as a
// helper process through it.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("XRT_IMAGE_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	testHookUnpacked = func(chain string) {
		fmt.Printf("UNPACKED %s\n", chain)
		if mode == "hang" {
			time.Sleep(time.Hour) // killed -9 here, between unpack and rename
		}
		time.Sleep(100 * time.Millisecond)
	}
	s, err := Open(os.Getenv("XRT_IMAGE_STORE"))
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ref, _ := ParseRef(os.Getenv("XRT_IMAGE_REF"))
	img, err := Resolve(ref)
	if err == nil {
		_, err = s.Pull(img, ref.String())
	}
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperCmd(t *testing.T, mode, store, ref string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "XRT_IMAGE_HELPER="+mode, "XRT_IMAGE_STORE="+store, "XRT_IMAGE_REF="+ref)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestConcurrentPullProcesses(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := range 4 {
		cmd := helperCmd(t, "pull", s.Dir(), l.dir+":"+[]string{"a", "b"}[i%2])
		out := &strings.Builder{}
		cmd.Stdout = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	n := map[string]int{}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("helper %d: %v\n%s", i, err, outs[i])
		}
		for _, line := range strings.Split(outs[i].String(), "\n") {
			if chain, ok := strings.CutPrefix(line, "UNPACKED "); ok {
				n[chain]++
			}
		}
	}
	if len(n) != 3 {
		t.Errorf("unpacked %v, want 3 layers", n)
	}
	for chain, k := range n {
		if k != 1 {
			t.Errorf("layer %s unpacked %d times", chain, k)
		}
	}
	if recs := dirNames(t, s.path("images")); len(recs) != 2 {
		t.Errorf("images/ holds %v, want 2 records", recs)
	}
}

// TestKilledPull kills a pulling process between unpacking a layer and
// moving it into place: the store must not show the layer, and the next
// Pull cleans up and completes.
func TestKilledPull(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	cmd := helperCmd(t, "hang", s.Dir(), l.dir+":a")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "UNPACKED ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper said %q, %v", line, err)
	}
	cmd.Process.Signal(unix.SIGKILL)
	cmd.Wait()
	if got := dirNames(t, s.path("layers")); len(got) != 0 {
		t.Fatalf("layers after the kill: %v", got)
	}
	if got := dirNames(t, s.path("tmp")); len(got) != 1 {
		t.Fatalf("tmp after the kill: %v, want the killed pull's work dir", got)
	}
	c := countUnpacks(t, 0)
	rec := mustPull(t, s, l.dir+":a")
	if c.total() != 2 || len(rec.Layers) != 2 {
		t.Fatalf("%d unpacks, record %+v", c.total(), rec)
	}
	if got := dirNames(t, s.path("tmp")); len(got) != 0 {
		t.Fatalf("tmp after the next pull: %v", got)
	}
}

func TestLeftoverTmp(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	img := mustResolve(t, l.dir+":a")
	other := digestHex(digestOf([]byte("other layer")))
	busy := digestHex(digestOf([]byte("busy layer")))
	for _, name := range []string{
		"layer-" + digestHex(img.Layers[1].ChainID) + ".123", // a crashed unpack of a layer we need
		"layer-" + other + ".456",                            // of a layer we do not
		"layer-" + busy + ".789",                             // one another Pull is working in
		"container-x.1",                                      // a crashed CreateContainer
	} {
		if err := os.MkdirAll(s.path("tmp", name, "diff", "junk"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lock, err := flock(s.path("locks", busy), unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(img, "a"); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, s.path("tmp")); !slices.Equal(got, []string{"container-x.1", "layer-" + busy + ".789"}) {
		t.Fatalf("tmp after Pull: %v", got)
	}
	lock.Close()
	removed, _, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, s.path("tmp")); len(got) != 0 {
		t.Fatalf("tmp after Prune: %v", got)
	}
	if !slices.Contains(removed, "tmp/container-x.1") || len(dirNames(t, s.path("layers"))) != 2 {
		t.Fatalf("Prune removed %v, layers %v", removed, dirNames(t, s.path("layers")))
	}
}

func TestRemoveImageAndPrune(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	a := mustPull(t, s, l.dir+":a")
	b := mustPull(t, s, l.dir+":b")
	if _, err := s.CreateContainer("c", "", a.Stack()); err != nil {
		t.Fatal(err)
	}
	wantErr(t, s.RemoveImage(l.dir+":a"), "in use by container(s) c")
	wantErr(t, s.RemoveImage(a.ManifestDigest), "in use by container(s) c")
	wantErr(t, s.RemoveImage("nope"), "no such image")

	// A second name can go while the image is in use; then the first stays.
	if _, err := s.Pull(mustResolve(t, l.dir+":a"), "alias"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveImage("alias"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveImage(l.dir + ":b"); err != nil {
		t.Fatal(err)
	}
	infos, err := s.Images()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || !slices.Equal(infos[0].Names, []string{l.dir + ":a"}) || !slices.Equal(infos[0].Containers, []string{"c"}) || infos[0].Size != a.Size {
		t.Fatalf("Images() = %+v", infos)
	}

	removed, freed, err := s.Prune()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(removed, []string{b.Layers[1].ChainID}) || freed != b.Layers[1].Size || freed == 0 {
		t.Fatalf("Prune = %v, %d; want [%s], %d", removed, freed, b.Layers[1].ChainID, b.Layers[1].Size)
	}
	if got := dirNames(t, s.path("layers")); len(got) != 2 || len(dirNames(t, s.path("l"))) != 2 {
		t.Fatalf("layers %v links %v after Prune", got, dirNames(t, s.path("l")))
	}

	// A container keeps its layers even if its image record went away.
	if err := os.Remove(s.recordPath(a.ManifestDigest)); err != nil {
		t.Fatal(err)
	}
	if removed, _, err := s.Prune(); err != nil || len(removed) != 0 {
		t.Fatalf("Prune with the container = %v, %v", removed, err)
	}
	if err := s.RemoveContainer("c", ""); err != nil {
		t.Fatal(err)
	}
	if removed, _, err = s.Prune(); err != nil || len(removed) != 2 {
		t.Fatalf("final Prune = %v, %v", removed, err)
	}
	for _, d := range []string{"layers", "l", "locks", "tmp", "containers", "images"} {
		if got := dirNames(t, s.path(d)); len(got) != 0 {
			t.Errorf("%s/ holds %v", d, got)
		}
	}
}

func TestRetag(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	a, err := s.Pull(mustResolve(t, l.dir+":a"), "t")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Pull(mustResolve(t, l.dir+":b"), "t")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Lookup("t")
	if err != nil || got.ManifestDigest != b.ManifestDigest {
		t.Fatalf("Lookup(t) = %+v, %v; want %s", got, err, b.ManifestDigest)
	}
	old, err := s.Lookup(a.ManifestDigest)
	if err != nil || old == nil || len(old.Names) != 0 {
		t.Fatalf("old image: %+v, %v; want it kept without names", old, err)
	}
}

func TestStoreVersion(t *testing.T) {
	s := openStore(t)
	if err := os.WriteFile(s.path("version"), []byte("9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(s.Dir())
	wantErr(t, err, `format version "9"`)
}
