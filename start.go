package main

import (
	"os"

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
		n, err := ctr.Start(os.Getenv("NOTIFY_SOCKET"))
		ctr.Unlock()
		if n != nil && err == nil {
			err = n.Forward()
		}
		return err
	},
}
