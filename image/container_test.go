package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestContainerRootfs(t *testing.T) {
	l := newLayout(t)
	base := layerTar(t, "etc/#0750", "etc/hosts=127.0.0.1 localhost\n", "bin/", "bin/sh=#!shell", "bin/ls->sh", "dev/#0710")
	top := layerTar(t, "app/", "app/run=run", "bin/", "bin/.wh.ls=")
	l.add(l.image(imageOpts{}, base, top), "")
	// The ':' in the store's path makes MountData use relative paths.
	s, err := Open(filepath.Join(t.TempDir(), "st:ore"))
	if err != nil {
		t.Fatal(err)
	}
	rec := mustPull(t, s, l.dir)
	rfs, err := s.CreateContainer("box", "", rec.Stack())
	if err != nil {
		t.Fatal(err)
	}
	dir := s.path("containers", "box")
	wantLower := []string{s.initLayerDir(rec.Layers[1].ChainID), s.linkPath(rec.Layers[1].ChainID), s.linkPath(rec.Layers[0].ChainID)}
	if !slices.Equal(rfs.Lower, wantLower) || rfs.Upper != filepath.Join(dir, "upper") || rfs.Work != filepath.Join(dir, "work") || rfs.Merged != filepath.Join(dir, "merged") {
		t.Fatalf("Rootfs = %+v", rfs)
	}
	if again, err := s.Rootfs("box"); err != nil || !slices.Equal(again.Lower, rfs.Lower) {
		t.Fatalf("Rootfs(box) = %+v, %v", again, err)
	}
	for _, p := range wantLower[1:] {
		if real, err := filepath.EvalSymlinks(p); err != nil || filepath.Base(real) != "diff" {
			t.Errorf("lower %s -> %s, %v", p, real, err)
		}
	}

	// Init layer (shared by the image's containers): mount points with the
	// image's attributes where it has the directory, empty files where it
	// has none; the container's upper dir has an /etc like the image's.
	init := s.initLayerDir(rec.Layers[1].ChainID)
	if fi, err := os.Lstat(filepath.Join(dir, "upper", "etc")); err != nil || fi.Mode() != fs.ModeDir|0o750 {
		t.Errorf("upper/etc: %v, %v", fi, err)
	}
	modes := map[string]fs.FileMode{
		"dev":             fs.ModeDir | 0o710,
		"dev/pts":         fs.ModeDir | 0o755,
		"dev/shm":         fs.ModeDir | fs.ModeSticky | 0o777,
		"proc":            fs.ModeDir | 0o555,
		"sys":             fs.ModeDir | 0o555,
		"etc":             fs.ModeDir | 0o750,
		"etc/hostname":    0o644,
		"etc/resolv.conf": 0o644,
	}
	for p, want := range modes {
		fi, err := os.Lstat(filepath.Join(init, p))
		if err != nil || fi.Mode() != want {
			t.Errorf("init/%s: %v, %v; want %v", p, fi.Mode(), err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(init, "etc/hosts")); err == nil {
		t.Errorf("init/etc/hosts hides the image's file")
	}

	data, chdir, err := rfs.MountData()
	if err != nil || chdir != s.Dir() || !strings.HasPrefix(data, "lowerdir=layers/"+digestHex(rec.Layers[1].ChainID)+"/init:l/") || strings.Contains(data, s.Dir()) {
		t.Fatalf("MountData = %q, %q, %v", data, chdir, err)
	}
	mountOverlay(t, data, chdir, rfs.Merged)
	m := rfs.Merged
	for p, want := range map[string]string{"app/run": "run", "etc/hosts": "127.0.0.1 localhost\n", "etc/hostname": "", "bin/sh": "#!shell"} {
		if b, err := os.ReadFile(filepath.Join(m, p)); err != nil || string(b) != want {
			t.Errorf("merged %s = %q, %v; want %q", p, b, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(m, "bin/ls")); err == nil {
		t.Errorf("merged bin/ls survived its whiteout")
	}
	if fi, err := os.Stat(filepath.Join(m, "dev/shm")); err != nil || !fi.IsDir() {
		t.Errorf("merged dev/shm: %v", err)
	}
	if err := os.WriteFile(filepath.Join(m, "new"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(rfs.Upper, "new")); err != nil {
		t.Errorf("write did not land in upper: %v", err)
	}

	wantErr(t, s.RemoveContainer("box", ""), "still mounted", "unmount it first")
	if err := unix.Unmount(m, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveContainer("box", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Fatalf("%s survived RemoveContainer", dir)
	}
	if err := s.RemoveContainer("box", ""); err != nil {
		t.Fatalf("removing a removed container: %v", err)
	}
	if got := dirNames(t, s.path("layers")); len(got) != 2 {
		t.Fatalf("layers after RemoveContainer: %v", got)
	}
	if got := dirNames(t, s.path("tmp")); len(got) != 0 {
		t.Fatalf("tmp after RemoveContainer: %v", got)
	}
}

// mountOverlay mounts overlay data on target, in dir chdir when given,
// and unmounts it at cleanup if the test has not.
func mountOverlay(t *testing.T, data, chdir, target string) {
	t.Helper()
	if chdir != "" {
		old, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chdir(chdir); err != nil {
			t.Fatal(err)
		}
		defer os.Chdir(old)
	}
	if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
		t.Fatalf("mount overlay %q: %v", data, err)
	}
	t.Cleanup(func() { unix.Unmount(target, unix.MNT_DETACH) })
}

func TestCreateContainerErrors(t *testing.T) {
	l := newLayout(t)
	l.add(l.image(imageOpts{}, baseTar(t)), "")
	s := openStore(t)
	rec := mustPull(t, s, l.dir)
	if _, err := s.CreateContainer("c1", "", rec.Stack()); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateContainer("c1", "", rec.Stack())
	wantErr(t, err, "already exists")
	for _, id := range []string{"", "..", "a/b", "a:b", "a,b"} {
		_, err := s.CreateContainer(id, "", rec.Stack())
		wantErr(t, err, "container id")
	}
	gone := *rec
	gone.ManifestDigest = digestOf([]byte("gone"))
	_, err = s.CreateContainer("c2", "", gone.Stack())
	wantErr(t, err, "not in the store")
	if got := dirNames(t, s.path("containers")); !slices.Equal(got, []string{"c1"}) {
		t.Fatalf("containers/ = %v", got)
	}
	if got := dirNames(t, s.path("tmp")); len(got) != 0 {
		t.Fatalf("tmp/ = %v", got)
	}
}

func TestVolume(t *testing.T) {
	l := newLayout(t)
	l.add(l.image(imageOpts{}, baseTar(t)), "")
	s := openStore(t)
	if _, err := s.CreateContainer("c", "", mustPull(t, s, l.dir).Stack()); err != nil {
		t.Fatal(err)
	}
	v1, err := s.Volume("c", "/var/lib/data/")
	if err != nil {
		t.Fatal(err)
	}
	if want := s.path("containers", "c", "volumes", "var%2Flib%2Fdata"); v1 != want {
		t.Fatalf("Volume = %s, want %s", v1, want)
	}
	if fi, err := os.Stat(v1); err != nil || !fi.IsDir() {
		t.Fatalf("volume dir: %v", err)
	}
	again, err := s.Volume("c", "/var/lib/data")
	if err != nil || again != v1 {
		t.Fatalf("Volume again = %s, %v", again, err)
	}
	a, _ := s.Volume("c", "/a_b")
	b, _ := s.Volume("c", "/a/b")
	if a == b || a == "" {
		t.Fatalf("/a_b and /a/b share %q", a)
	}
	long, err := s.Volume("c", "/"+strings.Repeat("x/", 150))
	if err != nil || len(filepath.Base(long)) > 255 {
		t.Fatalf("long volume path: %q, %v", long, err)
	}
	_, err = s.Volume("c", "relative")
	wantErr(t, err, "absolute path")
	_, err = s.Volume("c", "/")
	wantErr(t, err, "other than /")
	_, err = s.Volume("nope", "/data")
	wantErr(t, err, "no root filesystem in the store")
}

func TestMountData(t *testing.T) {
	r := &Rootfs{StoreDir: "/var/lib/xrt", Upper: "/var/lib/xrt/containers/c/upper", Work: "/var/lib/xrt/containers/c/work",
		Lower: []string{"/var/lib/xrt/containers/c/init", "/var/lib/xrt/l/AAAA", "/var/lib/xrt/l/BBBB"}}
	data, chdir, err := r.MountData()
	want := "lowerdir=/var/lib/xrt/containers/c/init:/var/lib/xrt/l/AAAA:/var/lib/xrt/l/BBBB,upperdir=/var/lib/xrt/containers/c/upper,workdir=/var/lib/xrt/containers/c/work"
	if err != nil || chdir != "" || data != want {
		t.Fatalf("short MountData = %q, %q, %v", data, chdir, err)
	}
	// 128 layers do not fit a page as absolute paths, but do relative.
	long := strings.Repeat("d", 100)
	r = &Rootfs{StoreDir: "/" + long, Upper: "/" + long + "/containers/c/upper", Work: "/" + long + "/containers/c/work"}
	for i := range 128 {
		r.Lower = append(r.Lower, "/"+long+"/l/"+shortID(digestOf([]byte{byte(i)})))
	}
	data, chdir, err = r.MountData()
	if err != nil || chdir != r.StoreDir || strings.Contains(data, long) || len(data) >= os.Getpagesize() || !strings.HasSuffix(data, ",upperdir=containers/c/upper,workdir=containers/c/work") {
		t.Fatalf("long MountData = %q, %q, %v", data, chdir, err)
	}
	// 200 layers fit only through links named by their place, in the
	// container's directory (made here: under a temp dir).
	tmp := t.TempDir()
	r = &Rootfs{StoreDir: tmp + "/" + long, Upper: tmp + "/" + long + "/containers/c/upper", Work: tmp + "/" + long + "/containers/c/work"}
	for i := range 200 {
		r.Lower = append(r.Lower, tmp+"/"+long+"/l/"+shortID(digestOf([]byte{byte(i), 1})))
	}
	data, chdir, err = r.MountData()
	cdir := tmp + "/" + long + "/containers/c"
	if err != nil || chdir != cdir || !strings.HasPrefix(data, "lowerdir=l/0:l/1:") || !strings.HasSuffix(data, ":l/5j,upperdir=upper,workdir=work") {
		t.Fatalf("200-layer MountData = %q, %q, %v", data, chdir, err)
	}
	if got, err := os.Readlink(cdir + "/l/5j"); err != nil || got != r.Lower[199] {
		t.Fatalf("link l/5j = %q, %v; want %s", got, err, r.Lower[199])
	}
	// Again (a second mount of the same root): the same links.
	if again, _, err := r.MountData(); err != nil || again != data {
		t.Fatalf("second MountData = %q, %v", again, err)
	}
	// 2000 layers do not fit at all.
	for i := range 1800 {
		r.Lower = append(r.Lower, fmt.Sprintf("%s/%s/l/X%d", tmp, long, i))
	}
	_, _, err = r.MountData()
	wantErr(t, err, "more than a page")
}

func TestRemoveContainerLeavesAnotherOwnersRoot(t *testing.T) {
	l := twoImages(t)
	s := openStore(t)
	rec := mustPull(t, s, l.dir+":a")
	ownerA := filepath.Join(t.TempDir(), "rootA", "c")
	if err := os.MkdirAll(ownerA, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateContainer("c", ownerA, rec.Stack()); err != nil {
		t.Fatal(err)
	}
	ownerB := filepath.Join(t.TempDir(), "rootB", "c")
	if err := s.RemoveContainer("c", ownerB); !errors.Is(err, ErrOtherOwner) {
		t.Fatalf("another owner's remove: %v, want ErrOtherOwner", err)
	}
	if _, err := os.Stat(s.path("containers", "c", "upper")); err != nil {
		t.Fatalf("another owner's remove took the root: %v", err)
	}
	// Its owner gone, the root is a leftover anyone may remove.
	if err := os.RemoveAll(ownerA); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveContainer("c", ownerB); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path("containers", "c")); !os.IsNotExist(err) {
		t.Fatalf("orphaned root left: %v", err)
	}
}
