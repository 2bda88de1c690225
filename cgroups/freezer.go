package cgroups

import (
	"fmt"
	"strings"
	"time"
)

// The freezer: v1 freezer.state (THAWED, FREEZING, FROZEN); v2
// cgroup.freeze (0 or 1) with the outcome in cgroup.events ("frozen 1").
// Freezing is asynchronous: Freeze polls, with a growing pause, until the
// kernel reports the cgroup frozen, and gives up (thawing it again) after
// freezeTimeout.

const freezeTimeout = 2 * time.Second

func freezeV1(dir string) error {
	return waitFrozen(dir, func(i int) error {
		if i%16 == 0 { // writing again retries the tasks still running
			return writeFile(dir, "freezer.state", Frozen)
		}
		return nil
	}, func() (string, error) { return stateV1(dir) }, func() error { return thawV1(dir) })
}

func thawV1(dir string) error { return writeFile(dir, "freezer.state", Thawed) }

func stateV1(dir string) (string, error) {
	s, err := readTrim(dir, "freezer.state")
	if err != nil {
		return "", fmt.Errorf("cgroups: freezer state: %w", err)
	}
	return s, nil
}

func freezeV2(dir string) error {
	return waitFrozen(dir, func(i int) error {
		if i == 0 {
			return writeFile(dir, "cgroup.freeze", "1")
		}
		return nil
	}, func() (string, error) { return stateV2(dir) }, func() error { return thawV2(dir) })
}

func thawV2(dir string) error { return writeFile(dir, "cgroup.freeze", "0") }

func stateV2(dir string) (string, error) {
	want, err := readTrim(dir, "cgroup.freeze")
	if err != nil {
		return "", fmt.Errorf("cgroups: freezer state: %w", err)
	}
	if want != "1" {
		return Thawed, nil
	}
	ev, err := readFile(dir, "cgroup.events")
	if err != nil {
		return "", fmt.Errorf("cgroups: freezer state: %w", err)
	}
	for line := range strings.Lines(ev) {
		if strings.TrimSpace(line) == "frozen 1" {
			return Frozen, nil
		}
	}
	return Freezing, nil
}

// waitFrozen runs request(i) and polls state until Frozen; on timeout it
// thaws and fails.
func waitFrozen(dir string, request func(int) error, state func() (string, error), thaw func() error) error {
	deadline := time.Now().Add(freezeTimeout)
	pause := 50 * time.Microsecond
	for i := 0; ; i++ {
		if err := request(i); err != nil {
			return fmt.Errorf("cgroups: freeze: %w", err)
		}
		s, err := state()
		if err != nil {
			return err
		}
		if s == Frozen {
			return nil
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("cgroups: freeze %s: still %s after %v", dir, s, freezeTimeout)
			if thawErr := thaw(); thawErr != nil {
				return fmt.Errorf("%w; thawing it again failed: %w", err, thawErr)
			}
			return fmt.Errorf("%w; thawed it again", err)
		}
		time.Sleep(pause)
		pause = min(2*pause, 10*time.Millisecond)
	}
}
