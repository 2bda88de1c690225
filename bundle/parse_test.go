package bundle

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"syntax", "{\n  \"ociVersion\": \"1.3.0\",\n  \"process\": }", []string{
			"parse config.json: invalid JSON at offset 41: invalid character '}' looking for beginning of value",
			"(line 3, column 14)",
		}},
		{"truncated", `{"ociVersion": "1.3.0"`, []string{"parse config.json: invalid JSON at offset 22: unexpected end of JSON input"}},
		{"empty", "", []string{"parse config.json: invalid JSON at offset 0: unexpected end of JSON input (line 1, column 1)"}},
		{"args not an array", `{"process":{"args":"sh"}}`, []string{
			`parse config.json: field "process.args" at offset 23: cannot unmarshal string into []string, want an array (line 1, column 23)`,
		}},
		{"arg not a string", `{"process":{"args":["sh",1]}}`, []string{
			`parse config.json: field "process.args" at offset 26: cannot unmarshal number into string, want a string (line 1, column 26)`,
		}},
		{"negative uid", `{"process":{"user":{"uid":-1}}}`, []string{
			`field "process.user.uid" at offset `, "cannot unmarshal number -1 into uint32, want an integer from 0 to 4294967295",
		}},
		{"top level array", `[]`, []string{"parse config.json: top-level value at offset 1: cannot unmarshal array into specs.Spec, want an object"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestParseErrorUnwraps(t *testing.T) {
	_, err := Parse([]byte("{"))
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Fatalf("%v does not wrap a *json.SyntaxError", err)
	}
	_, err = Parse([]byte(`{"hostname": 1}`))
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		t.Fatalf("%v does not wrap a *json.UnmarshalTypeError", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, rootless := range []bool{false, true} {
		want := Default(rootless)
		want.Annotations = map[string]string{"org.example/key": "value"}
		data, err := json.MarshalIndent(want, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		got, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := Validate(got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("rootless=%v: round trip changed the spec:\n got %+v\nwant %+v", rootless, got, want)
		}
	}
}

func TestParseIgnoresUnknownFields(t *testing.T) {
	s, err := Parse([]byte(`{"ociVersion": "1.3.0", "org.example.extension": {"x": 1}, "hostname": "h"}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Hostname != "h" {
		t.Fatalf("hostname %q, want h", s.Hostname)
	}
}
