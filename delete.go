package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"xrt/container"
)

var deleteCommand = &cli.Command{
	Name:      "delete",
	Usage:     "delete a container and everything it holds",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "kill it first if it is still running"},
	},
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		ctr, err := container.Locked(c.String("root"), id)
		if errors.Is(err, container.ErrNotExist) && c.Bool("force") {
			return nil // engines delete --force twice; the second must succeed
		}
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Delete(c.Bool("force"))
	},
}
