package image

import (
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	d256 := "sha256:" + strings.Repeat("ab", 32)
	d512 := "sha512:" + strings.Repeat("cd", 64)
	tests := []struct {
		in      string
		want    Ref
		wantErr string
	}{
		{in: "img", want: Ref{Path: "img"}},
		{in: "/srv/img.tar", want: Ref{Path: "/srv/img.tar"}},
		{in: "img:latest", want: Ref{Path: "img", Tag: "latest"}},
		{in: "./dir/img:v1.2-rc_3+x", want: Ref{Path: "./dir/img", Tag: "v1.2-rc_3+x"}},
		{in: "/srv/a:b/img", want: Ref{Path: "/srv/a:b/img"}},
		{in: "/srv/a:b/img:v1", want: Ref{Path: "/srv/a:b/img", Tag: "v1"}},
		{in: "./img:1:v2", want: Ref{Path: "./img:1", Tag: "v2"}},
		{in: "img@" + d256, want: Ref{Path: "img", Digest: d256}},
		{in: "/a@b/img@" + d512, want: Ref{Path: "/a@b/img", Digest: d512}},
		{in: "/a@b/img", want: Ref{Path: "/a@b/img"}},
		{in: "", wantErr: "empty reference"},
		{in: ":tag", wantErr: "no path"},
		{in: "@" + d256, wantErr: "no path"},
		{in: "img:", wantErr: "empty tag"},
		{in: "img:a b", wantErr: "not allowed"},
		{in: "img@sha256:abc", wantErr: "64 hex digits"},
		{in: "img@md5:" + strings.Repeat("a", 32), wantErr: "unsupported algorithm"},
		{in: "img@sha256:" + strings.Repeat("AB", 32), wantErr: "lower-case hex"},
		{in: "img@nodigest", wantErr: "ALGORITHM:HEX"},
		{in: "img:v1@" + d256, wantErr: "not both"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRef(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if back, err := ParseRef(got.String()); err != nil || back != got {
			t.Errorf("ParseRef(%q.String() = %q) = %+v, %v", tt.in, got.String(), back, err)
		}
	}
}

func TestChainIDs(t *testing.T) {
	a, b, c := digestOf([]byte("a")), digestOf([]byte("b")), digestOf([]byte("c"))
	got := chainIDs([]string{a, b, c})
	ab := digestOf([]byte(a + " " + b))
	abc := digestOf([]byte(ab + " " + c))
	if got[0] != a || got[1] != ab || got[2] != abc {
		t.Fatalf("chainIDs = %v, want [%s %s %s]", got, a, ab, abc)
	}
}

func TestShortID(t *testing.T) {
	a, b := shortID(digestOf([]byte("a"))), shortID(digestOf([]byte("b")))
	if len(a) != 26 || a == b || strings.ContainsAny(a, "/:,=") {
		t.Fatalf("shortID: %q, %q", a, b)
	}
}
