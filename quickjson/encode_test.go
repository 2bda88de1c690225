package quickjson

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// same fails when Marshal(v) is not json.Marshal(v), byte for byte.
func same(t *testing.T, v any) {
	t.Helper()
	want, werr := json.Marshal(v)
	got, gerr := Marshal(v)
	if (werr == nil) != (gerr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("Marshal:\n got %s (%v)\nwant %s (%v)", got, gerr, want, werr)
	}
}

func TestMarshalIsEncodingJSONs(t *testing.T) {
	data, err := os.ReadFile("../bundle/testdata/spec-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	same(t, &s)
	same(t, s)
	if _, err := appendValue(nil, reflectOf(&s)); err != nil {
		t.Fatalf("spec-example.json left to encoding/json: %v", err)
	}
	s.Hostname = "<a&b>\u2028\"\\\n\x01é\xff"
	s.Annotations = map[string]string{"b": "2", "a": "1", "<": "&", "": ""}
	s.Process.Args = []string{}
	s.Mounts = nil
	same(t, &s)
	for _, c := range cases {
		var s specs.Spec
		if json.Unmarshal([]byte(c), &s) == nil {
			same(t, &s)
		}
	}
	i := int8(-5)
	same(t, &Inner{ID: "x", N: i, B: []byte("hello")})
	same(t, &Inner{B: []byte{}})
	same(t, outer{Inner: &Inner{ID: "embedded"}})         // embedded: encoding/json's
	same(t, struct{ T time.Time }{time.Unix(5, 0).UTC()}) // a Marshaler: encoding/json's
	same(t, map[string]any{"a": 1.5})                     // interface, float: encoding/json's
	same(t, struct {
		F float64 `json:"f,omitempty"`
		U uint16  `json:"u,omitempty"`
		P *int    `json:"p"`
		M map[string]int
		E struct{} `json:"e,omitempty"`
	}{})
	same(t, &specs.LinuxBlockIO{WeightDevice: []specs.LinuxWeightDevice{{}}, ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 1}}})
	same(t, nil)
	same(t, make(chan int)) // an error, encoding/json's
}

type rawHTML struct{}

func (rawHTML) MarshalJSON() ([]byte, error) { return []byte(`"<b>"`), nil }

type spaced struct{}

func (spaced) MarshalJSON() ([]byte, error) { return []byte(` { "a" : [ 1 , 2 ] } `), nil }

type ptrRecv struct{ N int }

func (p *ptrRecv) MarshalJSON() ([]byte, error) { return []byte(`"ptr"`), nil }

type failing struct{}

func (failing) MarshalJSON() ([]byte, error) { return nil, os.ErrInvalid }

type invalid struct{}

func (invalid) MarshalJSON() ([]byte, error) { return []byte(`{"a":`), nil }

// A value's own MarshalJSON (time.Time's, json.RawMessage's, in xrt's
// state and handshake) is written here, compacted as encoding/json does;
// what encoding/json would escape, reject or report is left to it.
func TestMarshalerValues(t *testing.T) {
	type state struct {
		Created time.Time       `json:"created"`
		Raw     json.RawMessage `json:"raw,omitempty"`
		When    *time.Time      `json:"when,omitempty"`
	}
	now := time.Date(2026, 12, 3, 21, 30, 0, 123456789, time.UTC)
	for _, v := range []any{
		state{Created: now, Raw: json.RawMessage(`{"pid": 1,  "x" : [ ]}`)},
		&state{Created: now.In(time.FixedZone("x", 3600))},
		state{When: &now},
		struct{ R json.RawMessage }{},
		spaced{},
		struct{ P, Q *ptrRecv }{P: &ptrRecv{}},
	} {
		same(t, v)
		if _, err := appendValue(nil, reflect.ValueOf(v)); err != nil {
			t.Fatalf("%#v left to encoding/json: %v", v, err)
		}
	}
	for _, v := range []any{
		rawHTML{},
		struct{ V ptrRecv }{},  // addressable or not: encoding/json's call
		&struct{ V ptrRecv }{}, // (it calls MarshalJSON here)
		failing{},
		invalid{},
		struct{ R json.RawMessage }{json.RawMessage(`"\u2028 <"`)},
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // MarshalJSON's error
	} {
		same(t, v)
	}
}

func FuzzMarshalIsEncodingJSONs(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if json.Unmarshal(data, &s) == nil {
			same(t, &s)
		}
	})
}

func reflectOf(v any) reflect.Value { return reflect.ValueOf(v) }
