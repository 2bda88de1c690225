package main

import (
	"errors"

	"xrt/bundle"
)

// loadBundle loads and validates the bundle and checks what this build of
// xrt can do with it.
func loadBundle(dir, consoleSocket string, detached bool) (*bundle.Bundle, error) {
	b, err := bundle.Load(dir)
	if err != nil {
		return nil, err
	}
	if b.Spec.Process.Terminal {
		return nil, errors.New("process.terminal is not supported yet: set it to false in config.json")
	}
	_, _ = consoleSocket, detached
	return b, nil
}
