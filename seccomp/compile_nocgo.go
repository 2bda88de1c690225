//go:build !cgo

package seccomp

import (
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var errNoCgo = errors.New("seccomp: this xrt was built without cgo, so without libseccomp; rebuild with CGO_ENABLED=1")

// Compile is unavailable without cgo; a nil profile is still fine.
func Compile(s *specs.LinuxSeccomp) (*Program, error) {
	if s == nil {
		return nil, nil
	}
	return nil, errNoCgo
}

func supportedArchs() []string { return nil }

// LibseccompVersion is empty: no libseccomp is linked.
func LibseccompVersion() string { return "" }
