package container

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/cgroups"
	"xrt/faststart"
	"xrt/quickjson"
)

// The record create writes is the one the C fast path of delete reads,
// field for field; and the names and limits both sides use agree.
func TestFastdelRecordReadByC(t *testing.T) {
	b, err := os.ReadFile("../faststart/defaults.h")
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	for name, want := range map[string]string{
		"XRT_FASTDEL_FILE":      strconv.Quote(FastdelFile),
		"XRT_FASTDEL_KEY":       strconv.Quote(FastdelKey),
		"XRT_FASTDEL_MAGIC":     strconv.Quote(FastdelMagic),
		"XRT_FASTDEL_MAX_DIRS":  strconv.Itoa(FastdelMaxDirs),
		"XRT_FASTDEL_MAX_BYTES": strconv.Itoa(FastdelMaxBytes),
		"XRT_FASTDEL_MAX_STATE": strconv.Itoa(FastdelMaxState),
	} {
		m := regexp.MustCompile(`(?m)^#define ` + name + ` ("[^"]*"|\d+)`).FindStringSubmatch(h)
		if m == nil || m[1] != want {
			t.Errorf("faststart/defaults.h: %s = %v, the Go side has %s", name, m, want)
		}
	}

	managers := map[string]cgroups.Manager{"none": nil}
	v2, err := cgroups.New("/xrt/abc", cgroups.Unified)
	if err != nil {
		t.Fatal(err)
	}
	managers["v2"] = v2
	if mode := cgroups.DetectMode(); mode != cgroups.Unified {
		if managers["host"], err = cgroups.New("/xrt/abc", mode); err != nil {
			t.Fatal(err)
		}
	}
	for name, cg := range managers {
		c := &Container{State: State{ID: "abc", Pid: 4242, PidStart: 987654321}}
		rec := c.fastdelRecord(cg, false)
		if rec == nil {
			t.Fatalf("%s: a plain container got no record", name)
		}
		got, ok := faststart.ReadRecord(rec)
		if !ok {
			t.Fatalf("%s: the C reader refuses the Go writer's record:\n%s", name, rec)
		}
		// As create writes it: in state.json, with what else is there.
		c.Annotations = map[string]string{"a": `"fastdel":["x"]`, "b": "<&>"}
		c.Fastdel = c.fastdelLines(cg, false)
		state, err := quickjson.Marshal(&c.State)
		if err != nil {
			t.Fatal(err)
		}
		if fromState, ok := faststart.ReadState(state); !ok || !reflect.DeepEqual(fromState, got) {
			t.Errorf("%s: from state.json the C reader read %+v, %v; from the record %+v\n%s", name, fromState, ok, got, state)
		}
		st := string(state)
		for _, bad := range []string{
			st[:len(st)-3],
			strings.Replace(st, `"fastdel":[`, `"fastdel": [ "pid 1", `, 1),
			strings.Replace(st, `"fastdel":[`, `"other":[]}, "fastdel":["x"], "fastdel":[`, 1),
			strings.Replace(st, `"pid `, `"p\u0069d `, 1),
			strings.Replace(st, `"fastdel":[`, `"fastdel":[],"x":[`, 1),
			strings.Replace(st, `"fastdel"`, `"fastdelx"`, 1),
		} {
			if r, ok := faststart.ReadState([]byte(bad)); ok {
				t.Errorf("%s: the C reader took %s as %+v", name, bad, r)
			}
		}
		c.Annotations = nil
		want := faststart.Record{Pid: 4242, Start: 987654321}
		if cg != nil {
			td, _ := cgroups.TeardownOf(cg)
			want.Procs, want.Kill, want.Freezer, want.Dirs = td.Procs, td.Kill, td.Freezer, td.Dirs
			if len(td.Dirs) == 0 || td.Procs == "" || td.Freezer == "" {
				t.Errorf("%s: teardown %+v", name, td)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the C reader read\n%+v\nfrom\n%s\nwant\n%+v", name, got, rec, want)
		}
		// Cut short, or changed in any way the reader does not know: the
		// Go side deletes.
		s := string(rec)
		for _, bad := range []string{
			s[:len(s)-1],
			strings.Replace(s, FastdelMagic, "xrt-fastdel 2", 1),
			s + "pid 1\n",
			s + "hostmount /x\n",
			s + "cgroup relative\n",
			strings.Replace(s, "start 987654321\n", "", 1),
			strings.Replace(s, "pid 4242", "pid -4242", 1),
			strings.Replace(s, "pid 4242", "pid 42x", 1),
			"",
		} {
			if r, ok := faststart.ReadRecord([]byte(bad)); ok {
				t.Errorf("%s: the C reader took %q as %+v", name, bad, r)
			}
		}
	}
	var many strings.Builder
	many.WriteString(FastdelMagic + "\npid 1\nstart 1\nprocs /a\n")
	for range FastdelMaxDirs + 1 {
		many.WriteString("cgroup /a\n")
	}
	if _, ok := faststart.ReadRecord([]byte(many.String())); ok {
		t.Errorf("the C reader took more than %d cgroup lines", FastdelMaxDirs)
	}
}

// State.Fastdel is under the key the C reader looks for; a cgroup path
// that JSON would escape gets no record (the C reader takes no escapes).
func TestFastdelInState(t *testing.T) {
	f, _ := reflect.TypeOf(State{}).FieldByName("Fastdel")
	if tag := f.Tag.Get("json"); tag != FastdelKey+",omitempty" {
		t.Errorf("State.Fastdel's tag is %q, the C reader looks for %q", tag, FastdelKey)
	}
	for _, path := range []string{`/xrt/a"b`, `/xrt/a\b`, "/xrt/a<b", "/xrt/é"} {
		cg, err := cgroups.New(path, cgroups.Unified)
		if err != nil {
			t.Fatal(err)
		}
		c := &Container{State: State{ID: "abc", Pid: 4242, PidStart: 1}}
		if rec := c.fastdelRecord(cg, false); rec != nil {
			t.Errorf("%s: got a fastdel record:\n%s", path, rec)
		}
	}
}

// Only a plain container gets a record: anything that destroy or Delete
// does beyond the fast path's list leaves the delete to the Go side.
func TestFastdelOnlyPlain(t *testing.T) {
	cg, err := cgroups.New("/xrt/abc", cgroups.Unified)
	if err != nil {
		t.Fatal(err)
	}
	plain := func() *Container { return &Container{State: State{ID: "abc", Pid: 4242, PidStart: 1}} }
	if plain().fastdelRecord(cg, false) == nil {
		t.Fatal("a plain container got no record")
	}
	saved := rootProviders
	defer func() { rootProviders = saved }()
	rootProviders = append(rootProviders, rootProvider{
		cleanup: func(map[string]string, string, string) error { return nil },
		made:    func(a map[string]string) bool { return a["root"] != "" },
	})
	for name, c := range map[string]func(*Container) bool{
		"systemd":   func(c *Container) bool { c.CgroupDriver = "systemd"; return false },
		"poststop":  func(c *Container) bool { c.Poststop = []specs.Hook{{Path: "/bin/true"}}; return false },
		"hostmount": func(c *Container) bool { c.HostMounts = true; return false },
		"image":     func(c *Container) bool { c.Annotations = map[string]string{"root": "/store"}; return false },
		"notify":    func(*Container) bool { return true },
		"no pid":    func(c *Container) bool { c.Pid = 0; return false },
	} {
		ctr := plain()
		notify := c(ctr)
		if rec := ctr.fastdelRecord(cg, notify); rec != nil {
			t.Errorf("%s: got a fastdel record:\n%s", name, rec)
		}
	}
}
