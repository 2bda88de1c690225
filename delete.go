package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"xrt/container"
	"xrt/imagebundle"
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
			// Engines delete --force twice; the second must succeed. What
			// a killed create left behind goes too.
			if err := container.DeletePartial(c.String("root"), id); err != nil {
				return err
			}
			if !container.Exists(c.String("root"), id) {
				return imagebundle.Cleanup(c.String("store"), id, container.StateDir(c.String("root"), id))
			}
			return nil
		}
		if err != nil {
			return err
		}
		defer ctr.Unlock()
		return ctr.Delete(c.Bool("force"))
	},
}
