package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"xrt/bundle"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a default config.json to edit",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "directory to write config.json in"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config for an unprivileged user (user namespace)"},
	},
	Action: func(c *cli.Context) error {
		path := filepath.Join(c.String("bundle"), "config.json")
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s exists: remove it first", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		b, err := json.MarshalIndent(bundle.Default(c.Bool("rootless")), "", "\t")
		if err != nil {
			return err
		}
		return os.WriteFile(path, append(b, '\n'), 0o644)
	},
}
