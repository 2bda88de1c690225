package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"xrt/container"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal (default TERM) to a container's init",
	ArgsUsage: "<container-id> [signal]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() < 1 || c.NArg() > 2 {
			return fmt.Errorf("kill: expected a container id and an optional signal")
		}
		sig := unix.SIGTERM
		if c.NArg() == 2 {
			var err error
			if sig, err = parseSignal(c.Args().Get(1)); err != nil {
				return err
			}
		}
		ctr, err := container.Locked(c.String("root"), c.Args().First())
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		if c.Bool("all") {
			return ctr.KillAll(sig)
		}
		return ctr.Kill(sig)
	},
}

// parseSignal accepts a number, a name (TERM) or a full name (SIGTERM).
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 { // 0 checks that the container runs
			return 0, fmt.Errorf("invalid signal %q: out of range", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: use a number or a name like TERM or SIGKILL", s)
}
