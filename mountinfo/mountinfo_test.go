package mountinfo

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

// A mountinfo from a Docker host: no optional fields, one, two, an escaped
// space, an overlay mount, an empty source.
const sample = `22 27 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 27 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,discard
31 23 0:28 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
45 27 254:0 /home/me/My\040Docs /mnt/my\040docs rw,relatime shared:1 master:3 - ext4 /dev/vda1 rw,discard
52 27 0:45 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/A:/var/lib/docker/overlay2/l/B,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work
60 27 0:50 / /tmp/empty rw,relatime - tmpfs  rw,size=1024k
61 27 0:51 / /tmp/a\011tab\012nl\134bs rw unbindable - fuse.sshfs me@host:/x\040y rw,user_id=0
`

func TestGetMountsFromReader(t *testing.T) {
	mounts, err := GetMountsFromReader(strings.NewReader(sample), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Info{
		{ID: 22, Parent: 27, Major: 0, Minor: 21, Root: "/", Mountpoint: "/proc", Options: "rw,nosuid,nodev,noexec,relatime", Optional: "shared:12", FSType: "proc", Source: "proc", VFSOptions: "rw"},
		{ID: 23, Parent: 27, Major: 0, Minor: 22, Root: "/", Mountpoint: "/sys", Options: "rw,nosuid,nodev,noexec,relatime", Optional: "shared:7", FSType: "sysfs", Source: "sysfs", VFSOptions: "rw"},
		{ID: 27, Parent: 1, Major: 254, Minor: 0, Root: "/", Mountpoint: "/", Options: "rw,relatime", Optional: "shared:1", FSType: "ext4", Source: "/dev/vda1", VFSOptions: "rw,discard"},
		{ID: 31, Parent: 23, Major: 0, Minor: 28, Root: "/", Mountpoint: "/sys/fs/cgroup", Options: "rw,nosuid,nodev,noexec,relatime", FSType: "cgroup2", Source: "cgroup2", VFSOptions: "rw,nsdelegate,memory_recursiveprot"},
		{ID: 45, Parent: 27, Major: 254, Minor: 0, Root: "/home/me/My Docs", Mountpoint: "/mnt/my docs", Options: "rw,relatime", Optional: "shared:1 master:3", FSType: "ext4", Source: "/dev/vda1", VFSOptions: "rw,discard"},
		{ID: 52, Parent: 27, Major: 0, Minor: 45, Root: "/", Mountpoint: "/var/lib/docker/overlay2/abc/merged", Options: "rw,relatime", FSType: "overlay", Source: "overlay", VFSOptions: "rw,lowerdir=/var/lib/docker/overlay2/l/A:/var/lib/docker/overlay2/l/B,upperdir=/var/lib/docker/overlay2/abc/diff,workdir=/var/lib/docker/overlay2/abc/work"},
		{ID: 60, Parent: 27, Major: 0, Minor: 50, Root: "/", Mountpoint: "/tmp/empty", Options: "rw,relatime", FSType: "tmpfs", Source: "", VFSOptions: "rw,size=1024k"},
		{ID: 61, Parent: 27, Major: 0, Minor: 51, Root: "/", Mountpoint: "/tmp/a\ttab\nnl\\bs", Options: "rw", Optional: "unbindable", FSType: "fuse.sshfs", Source: "me@host:/x y", VFSOptions: "rw,user_id=0"},
	}
	if len(mounts) != len(want) {
		t.Fatalf("got %d mounts, want %d", len(mounts), len(want))
	}
	for i, m := range mounts {
		if *m != want[i] {
			t.Errorf("line %d:\n got %+v\nwant %+v", i+1, *m, want[i])
		}
	}
}

func TestGetMountsFromReaderEdges(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     int
	}{
		{"empty", "", 0},
		{"no final newline", "1 0 8:1 / / rw - ext4 /dev/sda1 rw", 1},
		{"blank lines", "\n1 0 8:1 / / rw - ext4 /dev/sda1 rw\n\n", 1},
		// Linux < 3.10 could print a raw space in a cifs unc= option.
		{"space in super options", "1 0 0:5 / /mnt rw - cifs //srv/My Docs rw,unc=//srv/My Docs\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mounts, err := GetMountsFromReader(strings.NewReader(tc.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(mounts) != tc.want {
				t.Fatalf("got %d mounts, want %d", len(mounts), tc.want)
			}
		})
	}
	m, err := GetMountsFromReader(strings.NewReader("1 0 0:5 / /mnt rw - cifs //srv/My Docs rw,unc=//srv/My Docs\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m[0].Source != "//srv/My" || m[0].VFSOptions != "Docs rw,unc=//srv/My Docs" {
		t.Errorf("got source %q, super options %q", m[0].Source, m[0].VFSOptions)
	}
}

func TestGetMountsFromReaderMalformed(t *testing.T) {
	good := "27 1 254:0 / / rw,relatime - ext4 /dev/vda1 rw\n"
	for _, tc := range []struct {
		name, line, want string
	}{
		{"too few fields", "27 1 254:0 / /", `missing "-" separator`},
		{"no separator", "27 1 254:0 / / rw shared:1 ext4 /dev/vda1 rw", `missing "-" separator`},
		{"separator too early", "27 1 254:0 / - rw ext4 /dev/vda1 rw", `missing "-" separator`},
		{"short tail", "27 1 254:0 / / rw - ext4 /dev/vda1", `want 3 fields after the "-" separator, found 2`},
		{"bad ID", "x 1 254:0 / / rw - ext4 /dev/vda1 rw", `mount ID "x" is not a number`},
		{"negative parent", "27 -1 254:0 / / rw - ext4 /dev/vda1 rw", `parent ID "-1" is not a number`},
		{"no colon", "27 1 254 / / rw - ext4 /dev/vda1 rw", `major:minor "254" has no colon`},
		{"bad minor", "27 1 254:z / / rw - ext4 /dev/vda1 rw", `minor "z" is not a number`},
		{"huge major", "27 1 99999999999:0 / / rw - ext4 /dev/vda1 rw", `major "99999999999" is not a number`},
		{"double space", "27  1 254:0 / / rw - ext4 /dev/vda1 rw", `parent ID "" is not a number`},
		{"short escape", `27 1 254:0 / /a\04 rw - ext4 /dev/vda1 rw`, "mount point: bad escape sequence"},
		{"non-octal escape", `27 1 254:0 /\08x / rw - ext4 /dev/vda1 rw`, "root: bad escape sequence"},
		{"escape above 255", `27 1 254:0 / / rw - ext4 /dev/\777 rw`, `source: bad escape sequence in "/dev/\\777": \777 is above \377`},
		{"trailing backslash", `27 1 254:0 / / rw - ext4\ src rw`, "filesystem type: bad escape sequence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GetMountsFromReader(strings.NewReader(good+tc.line+"\n"), nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mountinfo: line 2 ") {
				t.Fatalf("error %q does not name line 2 and contain %q", err, tc.want)
			}
		})
	}
}

func TestGetMountsFromReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := GetMountsFromReader(iotest.ErrReader(boom), nil)
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the reader's error", err)
	}
}

func TestGetMounts(t *testing.T) {
	mounts, err := GetMounts(nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range mounts {
		found = found || m.Mountpoint == "/"
	}
	if !found {
		t.Fatalf("no / among %d mounts of this process", len(mounts))
	}
}
