package quickjson

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Inner and outer have the shape of containerinit's configIn: an embedded
// pointer whose "spec" the outer struct hides.
type Inner struct {
	ID   string      `json:"id"`
	Spec *specs.Spec `json:"spec"`
	N    int8        `json:"n,omitempty"`
	B    []byte      `json:"b,omitempty"`
}

type outer struct {
	*Inner
	Spec  *specs.Process  `json:"spec"`
	Extra map[string]bool `json:"extra"`
	Skip  string          `json:"-"`
	hide  string          //lint:ignore U1000 an unexported field, which encoding/json skips
}

var cases = []string{
	`{}`,
	`null`,
	`{"ociVersion":"1.0.2","process":{"args":["sh","-c","x"],"cwd":"/","user":{"uid":1,"gid":2,"additionalGids":[3,4]}},"root":{"path":"rootfs","readonly":true}}`,
	`{"process":{"args":["a","b"]},"process":{"args":["c"]}}`,
	`{"process":{"args":["a"],"cwd":"/x"},"process":{"args":[]}}`,
	`{"linux":{"sysctl":{"a":"1"}},"linux":{"sysctl":{"b":"2"}}}`,
	`{"mounts":[{"destination":"/a","options":["ro"]}],"mounts":[{"type":"bind"}]}`,
	`{"process":null,"root":{"path":null}}`,
	`{"Process":{"Args":["sh"]}}`,
	`{"pRoCeSs":{}}`,
	`{"ociVersion":"\u0031.0","unknown":{"deep":[1,2,{"x":null}]},"hostname":"h\u00e9"}`,
	`{"hostname":"\ud800"}`,
	`{"hostname":"a\"b\\c"}`,
	`{"linux":{"resources":{"memory":{"limit":-1,"swap":9223372036854775807}}}}`,
	`{"linux":{"resources":{"memory":{"limit":9223372036854775808}}}}`,
	`{"process":{"user":{"uid":-1}}}`,
	`{"process":{"user":{"uid":4294967296}}}`,
	`{"process":{"user":{"uid":1.0}}}`,
	`{"process":{"user":{"uid":1e3}}}`,
	`{"process":{"user":{"uid":"1"}}}`,
	`{"process":{"terminal":"true"}}`,
	`{"process":{"args":"sh"}}`,
	`{"process":[]}`,
	`{"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/n"}]}}`,
	`{"annotations":{"a":"1","a":"2"}}`,
	`{"annotations":{}}`,
	`{"annotations":null}`,
	`{"hooks":{"prestart":[{"path":"/x","timeout":0}]}}`,
	`{"linux":{"resources":{"blockIO":{"weight":10,"weightDevice":[{"major":8,"minor":0,"weight":5}],"throttleReadBpsDevice":[{"major":1,"Minor":2,"rate":3}]}}}}`,
	`{} {}`,
	`{}x`,
	`{"a":1,}`,
	`{"hostname":"x"`,
	`[]`,
	`"x"`,
	``,
	` {"hostname" : "x" } `,
	`{"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]}]}}}`,
}

// agree decodes data into a new T both ways and fails when results or
// errors differ.
func agree[T any](t *testing.T, data []byte) {
	t.Helper()
	var want, got T
	werr := json.Unmarshal(data, &want)
	gerr := Unmarshal(data, &got)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("%q: error %v, encoding/json says %v", data, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %+v, encoding/json decodes %+v", data, got, want)
	}
}

func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range cases {
		agree[specs.Spec](t, []byte(c))
		agree[outer](t, []byte(c))
		agree[map[string]json.RawMessage](t, []byte(c))
	}
	for _, c := range []string{
		`{"id":"x","spec":{"args":["sh"]},"n":127,"extra":{"a":true}}`,
		`{"id":"x","n":128}`,
		`{"ID":"x"}`,
		`{"Skip":"x","hide":"y","-":"z"}`,
		`{"spec":null,"id":null}`,
		`{"b":"aGVsbG8="}`,
		`{"b":"aGVsbG8"}`,
		`{"b":""}`,
		`{"b":[1,2]}`,
		`{"b":null}`,
		`{"id":"x"}`,
		`{"spec":{}}`,
	} {
		agree[outer](t, []byte(c))
	}
}

// TestTakesTheSpec: a whole config.json is decoded here, not handed on.
func TestTakesTheSpec(t *testing.T) {
	data, err := os.ReadFile("../bundle/testdata/spec-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := decode(data, reflect.ValueOf(&s).Elem()); err != nil {
		t.Fatalf("spec-example.json left to encoding/json: %v", err)
	}
	agree[specs.Spec](t, data)
	var o outer
	if err := decode([]byte(`{"id":"x","spec":{"args":["sh"]},"extra":{"a":true},"b":"aGVsbG8="}`), reflect.ValueOf(&o).Elem()); err != nil {
		t.Fatalf("embedded struct left to encoding/json: %v", err)
	}
	// Escapes, non-ASCII text, and numbers of any kind where no field
	// takes them, are read here too.
	doc := []byte(" {\"process\": {\"args\": [\"echo\", \"caf\u00e9 \\\"q\\\"\", \"\u2603\\n\"], \"x\": [1.5e3, -0, {\"y\": null}]},\n\t\"hostname\": \"h\"}\r\n")
	var s2 specs.Spec
	if err := decode(doc, reflect.ValueOf(&s2).Elem()); err != nil {
		t.Fatalf("%s left to encoding/json: %v", doc, err)
	}
	agree[specs.Spec](t, doc)
	if got := s2.Process.Args; len(got) != 3 || got[1] != "caf\u00e9 \"q\"" || got[2] != "\u2603\n" {
		t.Fatalf("args %q", got)
	}
}

// stamped is the shape of xrt's state.json: times and raw JSON.
type stamped struct {
	ID      string            `json:"id"`
	Created time.Time         `json:"created"`
	When    *time.Time        `json:"when,omitempty"`
	Raw     json.RawMessage   `json:"raw,omitempty"`
	Times   []time.Time       `json:"times,omitempty"`
	Named   map[string]string `json:"named,omitempty"`
}

// A value whose pointer has UnmarshalJSON gets the value as written, null
// included; what it refuses is encoding/json's error.
func TestUnmarshalerValues(t *testing.T) {
	for _, c := range []string{
		`{"id":"a","created":"2026-12-03T21:30:00.123456789Z","raw":{"pid": 1, "x" : [ ] },"times":["2026-01-01T00:00:00+01:00",null]}`,
		`{"created":null,"raw":null}`,
		`{"raw":"a\u00e9\n","named":{"k":"v"}}`,
	} {
		var s stamped
		if err := decode([]byte(c), reflect.ValueOf(&s).Elem()); err != nil {
			t.Fatalf("%s left to encoding/json: %v", c, err)
		}
		agree[stamped](t, []byte(c))
	}
	for _, c := range []string{
		`{"created":"yesterday"}`,
		`{"created":5}`,
		`{"when":"2026-12-03T21:30:00Z"}`,
		`{"when":null}`,
		`{"raw":{"a":}}`,
	} {
		agree[stamped](t, []byte(c))
	}
}

func TestNotZeroGoesToEncodingJSON(t *testing.T) {
	s := specs.Spec{Hostname: "kept"}
	if err := Unmarshal([]byte(`{"domainname":"d"}`), &s); err != nil || s.Hostname != "kept" || s.Domainname != "d" {
		t.Fatalf("got %+v, %v", s, err)
	}
}

func FuzzAgreesWithEncodingJSON(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	if data, err := os.ReadFile("../bundle/testdata/spec-example.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"id":"a","created":"2026-12-03T21:30:00.1Z","when":null,"raw":{"pid":1},"times":["2026-01-01T00:00:00+01:00"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		agree[specs.Spec](t, data)
		agree[outer](t, data)
		agree[stamped](t, data)
	})
}
