package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"xrt/features"
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "show what this runtime supports (runtime-spec features.md JSON)",
	Action: func(c *cli.Context) error {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(features.Get(version))
	},
}
