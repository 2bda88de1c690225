package rootfs

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Both ways of mounting an overlay, each in a private mount namespace of
// its own thread (the namespace, and every mount in it, goes with the
// thread): "lowerdir+" through fsconfig, which this kernel may lack, and
// mount(2) with one lowerdir= string of short relative links, as image
// mode passes on kernels before 6.8. MountOverlay itself takes whichever
// the running kernel has.

func TestMountOverlay(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	for _, way := range []string{"fsconfig", "legacy", "auto"} {
		t.Run(way, func(t *testing.T) {
			dir := t.TempDir()
			o := overlayFixture(t, dir, 40)
			err := inPrivateMountNS(func() error {
				merged := filepath.Join(dir, "merged")
				var err error
				switch way {
				case "fsconfig":
					err = mountOverlayFsconfig(merged, o)
					if err == errNoLowerdirPlus && !kernelAtLeast(t, 6, 8) {
						return errSkip
					}
				case "legacy":
					err = mountOverlayLegacy(merged, o)
				default:
					err = MountOverlay(merged, o)
				}
				if err != nil {
					return err
				}
				return checkMerged(merged, 40)
			})
			if err == errSkip {
				t.Skipf("kernel %s has no lowerdir+", kernelRelease(t))
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOverlayParserProbe: the probe says what the kernel's version says:
// overlayfs checks each fsconfig parameter from 6.5 on, not before.
func TestOverlayParserProbe(t *testing.T) {
	fsfd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		t.Skipf("fsopen overlay: %v", err)
	}
	defer unix.Close(fsfd)
	if got, want := hasOverlayParser(fsfd), kernelAtLeast(t, 6, 5); got != want {
		t.Fatalf("hasOverlayParser = %v on %s, want %v", got, kernelRelease(t), want)
	}
}

var errSkip = fmt.Errorf("skip")

// overlayFixture makes n lower dirs (layer i holds file i and its own copy
// of "top", which the upper layers hide), reached through short links in
// dir/l, and the upper and work dirs. Legacy's data is relative to dir.
func overlayFixture(t *testing.T, dir string, n int) *Overlay {
	o := &Overlay{Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work")}
	for _, d := range []string{"l", "upper", "work", "merged"} {
		must(t, os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	var rel []string
	for i := range n {
		// A long layer path, as a store's chain IDs make.
		layer := filepath.Join(dir, "layers", fmt.Sprintf("%064d", i), "diff")
		must(t, os.MkdirAll(layer, 0o755))
		must(t, os.WriteFile(filepath.Join(layer, "f"+strconv.Itoa(i)), nil, 0o644))
		must(t, os.WriteFile(filepath.Join(layer, "top"), []byte(strconv.Itoa(i)), 0o644))
		link := fmt.Sprintf("l/L%02d", i)
		must(t, os.Symlink(layer, filepath.Join(dir, link)))
		// Top first: layer n-1 is the top.
		o.Lower = append([]string{filepath.Join(dir, link)}, o.Lower...)
		rel = append([]string{link}, rel...)
	}
	data := "lowerdir=" + strings.Join(rel, ":") + ",upperdir=upper,workdir=work"
	o.Legacy = func() (string, string, error) { return data, dir, nil }
	return o
}

// checkMerged checks that merged shows every layer's file and the top
// layer's "top".
func checkMerged(merged string, n int) error {
	for i := range n {
		if _, err := os.Stat(filepath.Join(merged, "f"+strconv.Itoa(i))); err != nil {
			return fmt.Errorf("merged: %w", err)
		}
	}
	b, err := os.ReadFile(filepath.Join(merged, "top"))
	if err != nil || string(b) != strconv.Itoa(n-1) {
		return fmt.Errorf("merged/top = %q, %v; want the top layer's %d", b, err, n-1)
	}
	return nil
}

// inPrivateMountNS runs f on a thread of its own in a new, private mount
// namespace; the thread ends with f, and the namespace with it.
func inPrivateMountNS(f func() error) error {
	ch := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits
		if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
			ch <- err
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			ch <- err
			return
		}
		ch <- f()
	}()
	return <-ch
}

func kernelRelease(t *testing.T) string {
	var u unix.Utsname
	must(t, unix.Uname(&u))
	return unix.ByteSliceToString(u.Release[:])
}

func kernelAtLeast(t *testing.T, major, minor int) bool {
	var a, b int
	fmt.Sscanf(kernelRelease(t), "%d.%d", &a, &b)
	return a > major || a == major && b >= minor
}
