package main

import (
	"github.com/urfave/cli/v2"

	"xrt/container"
)

var startCommand = &cli.Command{
	Name:      "start",
	Usage:     "start a created container: exec its program",
	ArgsUsage: "<container-id>",
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		ctr, err := container.Locked(c.String("root"), id)
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Start()
	},
}
