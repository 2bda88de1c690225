package main

import (
	"github.com/urfave/cli/v2"

	"xrt/container"
)

var pauseCommand = &cli.Command{
	Name:      "pause",
	Usage:     "freeze every process of a container",
	ArgsUsage: "<container-id>",
	Action:    withContainer((*container.Container).Pause),
}

var resumeCommand = &cli.Command{
	Name:      "resume",
	Usage:     "thaw a paused container",
	ArgsUsage: "<container-id>",
	Action:    withContainer((*container.Container).Resume),
}

// withContainer runs op on the one container named on the command line,
// with its lock held.
func withContainer(op func(*container.Container) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		ctr, err := container.Locked(c.String("root"), id)
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return op(ctr)
	}
}
