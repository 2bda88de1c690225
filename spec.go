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
	"xrt/imagebundle"
)

var specCommand = &cli.Command{
	Name:  "spec",
	Usage: "write a default config.json to edit",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "directory to write config.json in"},
		&cli.BoolFlag{Name: "rootless", Usage: "a config for an unprivileged user (user namespace)"},
		&cli.StringFlag{Name: "image", Usage: "merge this OCI image's config (PATH[:TAG] or PATH@DIGEST; pulled into the store)"},
	},
	Action: func(c *cli.Context) error {
		path := filepath.Join(c.String("bundle"), "config.json")
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s exists: remove it first", path)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		spec := bundle.Default(c.Bool("rootless"))
		if ref := c.String("image"); ref != "" {
			st, rec, err := imagebundle.Pull(c.String("store"), ref)
			if err != nil {
				return err
			}
			o := &imagebundle.Options{Ref: ref, ID: "container", Bundle: c.String("bundle")}
			if spec, err = imagebundle.Spec(o, st, rec); err != nil {
				return err
			}
		}
		b, err := json.MarshalIndent(spec, "", "\t")
		if err != nil {
			return err
		}
		return os.WriteFile(path, append(b, '\n'), 0o644)
	},
}
