package merge

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

const passwd = `# users
root:x:0:0:root:/root:/bin/sh

nobody:x:65534:65534:nobody:/nonexistent:/bin/false
short:x:5
bad:x:notanumber:1::/:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
lonely:x:1001:1001::/:/bin/sh
`

const group = `root:x:0:
# groups
nogroup:x:65534:
app:x:1000:
extra:x:2000:app,lonely
more:x:3000: other , app
dup:x:2000:app
broken:x
`

func imageFS() fstest.MapFS {
	return fstest.MapFS{
		"etc/passwd": {Data: []byte(passwd)},
		"etc/group":  {Data: []byte(group)},
	}
}

func TestResolveUser(t *testing.T) {
	tests := []struct {
		spec    string
		fs      fs.FS
		uid     uint32
		gid     uint32
		add     []uint32
		wantErr string
	}{
		{spec: "", fs: imageFS(), uid: 0, gid: 0},
		{spec: "root", fs: imageFS(), uid: 0, gid: 0},
		{spec: "app", fs: imageFS(), uid: 1000, gid: 1000, add: []uint32{2000, 3000}},
		{spec: "1000", fs: imageFS(), uid: 1000, gid: 1000, add: []uint32{2000, 3000}},
		{spec: "lonely", fs: imageFS(), uid: 1001, gid: 1001, add: []uint32{2000}},
		{spec: "nobody", fs: imageFS(), uid: 65534, gid: 65534},
		{spec: "app:extra", fs: imageFS(), uid: 1000, gid: 2000},
		{spec: "app:7", fs: imageFS(), uid: 1000, gid: 7},
		{spec: "1000:2000", fs: imageFS(), uid: 1000, gid: 2000},
		{spec: "1000:nogroup", fs: imageFS(), uid: 1000, gid: 65534},
		{spec: "4242", fs: imageFS(), uid: 4242, gid: 0},
		{spec: "4242:12", fs: imageFS(), uid: 4242, gid: 12},
		{spec: "4242", fs: fstest.MapFS{}, uid: 4242, gid: 0},
		{spec: "4242:5", fs: nil, uid: 4242, gid: 5},
		{spec: "", fs: nil, uid: 0, gid: 0},
		{spec: "ghost", fs: imageFS(), wantErr: `no user "ghost" in the image's /etc/passwd`},
		{spec: "app", fs: fstest.MapFS{}, wantErr: `no user "app" in the image's /etc/passwd (the image has no /etc/passwd)`},
		{spec: "short", fs: imageFS(), wantErr: `no user "short"`},
		{spec: "app:ghosts", fs: imageFS(), wantErr: `no group "ghosts" in the image's /etc/group`},
		{spec: "0:app", fs: fstest.MapFS{"etc/passwd": {Data: []byte(passwd)}}, wantErr: "(the image has no /etc/group)"},
		{spec: "4294967296", fs: imageFS(), wantErr: `no user "4294967296"`},
		{spec: ":1000", fs: imageFS(), wantErr: "want user"},
		{spec: "app:", fs: imageFS(), wantErr: "want user"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			u, err := resolveUser(tt.spec, tt.fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolveUser(%q) error = %v, want %q", tt.spec, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolveUser(%q): %v", tt.spec, err)
			}
			if u.UID != tt.uid || u.GID != tt.gid || !slices.Equal(u.AdditionalGids, tt.add) {
				t.Errorf("resolveUser(%q) = %d:%d %v, want %d:%d %v", tt.spec, u.UID, u.GID, u.AdditionalGids, tt.uid, tt.gid, tt.add)
			}
		})
	}
}

// errFS fails every Open with something other than "does not exist".
type errFS struct{}

func (errFS) Open(string) (fs.File, error) { return nil, fs.ErrPermission }

func TestResolveUserReadError(t *testing.T) {
	_, err := resolveUser("app", errFS{})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "/etc/passwd") {
		t.Fatalf("error = %v, want a permission error naming /etc/passwd", err)
	}
}
