package unpack

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestApplyEscapesFail feeds layers that try to reach parent/outside (which
// exists) from parent/layer. Each must fail, and nothing outside the layer
// directory may change.
func TestApplyEscapesFail(t *testing.T) {
	outsideDir := func(parent string) string { return filepath.Join(parent, "outside") }
	cases := map[string]func(parent string) []ent{
		"dotdot":          func(string) []ent { return []ent{file("../outside/x", "pwned", 0o644)} },
		"rooted dotdot":   func(string) []ent { return []ent{file("/../../x", "pwned", 0o644)} },
		"inner dotdot":    func(string) []ent { return []ent{file("a/../../outside/sentinel", "pwned", 0o644)} },
		"dotdot dir":      func(string) []ent { return []ent{dir("../outside/d", 0o777)} },
		"dotdot symlink":  func(string) []ent { return []ent{symlink("../outside/l", "/")} },
		"dotdot whiteout": func(string) []ent { return []ent{file("../outside/.wh.sentinel", "", 0o644)} },
		"dotdot opaque":   func(string) []ent { return []ent{file("../outside/.wh..wh..opq", "", 0o644)} },
		"hardlink dotdot": func(string) []ent { return []ent{hardlink("x", "../../etc/passwd")} },
		"hardlink abs outside": func(p string) []ent {
			return []ent{hardlink("x", filepath.Join(outsideDir(p), "sentinel"))}
		},
		"write through abs symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), file("a/sentinel", "pwned", 0o644)}
		},
		"write through rel symlink": func(string) []ent {
			return []ent{symlink("a", "../outside"), file("a/new", "pwned", 0o644)}
		},
		"symlink chain": func(p string) []ent {
			return []ent{symlink("a", "b"), symlink("b", "c/../../outside"), dir("c", 0o755), file("a/new", "pwned", 0o644)}
		},
		"mkdir through symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), dir("a/d/", 0o777)}
		},
		"hardlink through symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), hardlink("x", "a/sentinel")}
		},
		"hardlink placed through symlink": func(p string) []ent {
			return []ent{file("f", "", 0o644), symlink("a", outsideDir(p)), hardlink("a/x", "f")}
		},
		"whiteout through symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), file("a/.wh.sentinel", "", 0o644)}
		},
		"opaque through symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), file("a/.wh..wh..opq", "", 0o644)}
		},
		"device through symlink": func(p string) []ent {
			return []ent{symlink("a", outsideDir(p)), {hdr: tar.Header{Typeflag: tar.TypeFifo, Name: "a/fifo", Mode: 0o644}}}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			parent, layer := sandbox(t)
			_, err := Apply(layer, bytes.NewReader(tarBytes(t, mk(parent)...)))
			if err == nil {
				t.Error("Apply succeeded")
			}
			if p := outsideProblem(parent); p != "" {
				t.Error(p)
			}
		})
	}
}

// TestApplySymlinksAreContained checks the documented policy: a symlink
// created by the layer resolves with the layer directory as "/", like it
// would inside the container, and attribute changes never follow it.
func TestApplySymlinksAreContained(t *testing.T) {
	parent, layer := sandbox(t)
	outside := filepath.Join(parent, "outside")
	own := symlink("own", filepath.Join(outside, "sentinel")) // chown/times must hit the link only
	own.hdr.Uid, own.hdr.Gid = 42, 42
	own.hdr.PAXRecords = map[string]string{"SCHILY.xattr.trusted.x": "1"}
	// Targets use a directory name that does not exist on the host, so a
	// broken containment fails instead of writing to the host's /etc.
	const etc = "xrt-unpack-contained-etc"
	applyBytes(t, layer, tarBytes(t,
		dir(etc+"/", 0o755),
		symlink("abs", "/"+etc),
		file("abs/passwd", "inside", 0o644),
		symlink("up", "../../../../../../.."),
		file("up/"+etc+"/group", "inside too", 0o644),
		symlink("chain1", "chain2"),
		symlink("chain2", "/up/up/"+etc),
		file("chain1/shadow", "chained", 0o600),
		own,
		dir("gone/", 0o755),
		symlink("gone", outside), // replaces a dir whose times are set at the end
	))
	for name, want := range map[string]string{"passwd": "inside", "group": "inside too", "shadow": "chained"} {
		if b, err := os.ReadFile(filepath.Join(layer, etc, name)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(layer, "own"), &st); err != nil || st.Uid != 42 {
		t.Errorf("symlink owner %d, %v", st.Uid, err)
	}
	if p := outsideProblem(parent); p != "" {
		t.Error(p)
	}
}
