package image

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Ref names an image on the local filesystem: a layout directory or an
// archive, optionally narrowed by a tag or a manifest digest.
//
//	PATH              the only image in PATH
//	PATH:TAG          the manifest tagged TAG
//	PATH@ALG:HEX      the manifest (or index) with that digest
//
// The tag separator is the last ':' after the last '/', so directories
// with ':' in their names work ("/srv/a:b/img:v1" is path "/srv/a:b/img",
// tag "v1"), but a file name with ':' cannot be given without a tag
// ("./img:1" always means tag "1"); rename it or pass "./img:1:TAG".
// Tags may hold ':' and '/' themselves (`docker save` tags are
// "NAME:TAG"): when the path ParseRef found does not exist, Resolve
// splits at the first ':' whose prefix does, so that
// "save.tar:example.com/app:v1" is save.tar, tag "example.com/app:v1".
type Ref struct {
	Path   string
	Tag    string // empty when not given
	Digest string // empty when not given; validated "alg:hex"
}

// ParseRef splits s into a Ref. It does not look at the filesystem.
func ParseRef(s string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("parse image reference: empty reference: give PATH, PATH:TAG or PATH@sha256:HEX")
	}
	var r Ref
	rest := s
	if at := strings.LastIndexByte(rest, '@'); at >= 0 && !strings.Contains(rest[at:], "/") {
		d := rest[at+1:]
		if err := ValidateDigest(d); err != nil {
			return Ref{}, fmt.Errorf("parse image reference %q: %w", s, err)
		}
		r.Digest = d
		rest = rest[:at]
	}
	slash := strings.LastIndexByte(rest, '/')
	if colon := strings.LastIndexByte(rest, ':'); colon > slash {
		r.Tag = rest[colon+1:]
		rest = rest[:colon]
		if err := validateTag(r.Tag); err != nil {
			return Ref{}, fmt.Errorf("parse image reference %q: %w", s, err)
		}
	}
	if r.Tag != "" && r.Digest != "" {
		return Ref{}, fmt.Errorf("parse image reference %q: give a tag or a digest, not both", s)
	}
	if rest == "" {
		return Ref{}, fmt.Errorf("parse image reference %q: no path before the tag or digest", s)
	}
	r.Path = rest
	return r, nil
}

// String formats r back into the form ParseRef reads.
func (r Ref) String() string {
	switch {
	case r.Digest != "":
		return r.Path + "@" + r.Digest
	case r.Tag != "":
		return r.Path + ":" + r.Tag
	}
	return r.Path
}

// validateTag accepts the tag characters of the ref.name grammar in
// image-layout.md that are not separators in our syntax (':', '@', '/').
func validateTag(tag string) error {
	if tag == "" {
		return fmt.Errorf("empty tag after ':'")
	}
	for _, c := range tag {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '+'
		if !ok {
			return fmt.Errorf("tag %q: character %q not allowed (use letters, digits, '-', '.', '_', '+')", tag, c)
		}
	}
	return nil
}

// onDisk re-splits r when its path does not exist but a prefix of it
// ending before a ':' does (see Ref).
func (r Ref) onDisk() Ref {
	if r.Tag == "" {
		return r
	}
	if _, err := os.Stat(r.Path); !errors.Is(err, fs.ErrNotExist) {
		return r
	}
	for i := 1; i < len(r.Path); i++ {
		if r.Path[i] != ':' {
			continue
		}
		if _, err := os.Stat(r.Path[:i]); err == nil {
			return Ref{Path: r.Path[:i], Tag: r.Path[i+1:] + ":" + r.Tag}
		}
	}
	return r
}
