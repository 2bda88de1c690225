package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"xrt/container"
)

var listCommand = &cli.Command{
	Name:  "list",
	Usage: "list the containers under --root",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the ids"},
	},
	Action: func(c *cli.Context) error {
		// A --root given that does not exist is an error, as with runc; the
		// default one is made by the first create.
		if rootGiven {
			if _, err := os.Stat(c.String("root")); err != nil {
				return fmt.Errorf("list: --root: %w", err)
			}
		}
		ctrs, err := container.List(c.String("root"))
		if err != nil {
			return err
		}
		if c.Bool("quiet") {
			for _, ctr := range ctrs {
				fmt.Println(ctr.ID)
			}
			return nil
		}
		reports := make([]container.Report, 0, len(ctrs))
		for _, ctr := range ctrs {
			r := ctr.Report()
			r.Owner = ownerOf(ctr.Dir())
			reports = append(reports, r)
		}
		switch c.String("format") {
		case "json":
			// One line, as runc prints it; null for none: engines expect it.
			if len(reports) == 0 {
				return json.NewEncoder(os.Stdout).Encode(nil)
			}
			return json.NewEncoder(os.Stdout).Encode(reports)
		case "table":
			w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
			fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, r := range reports {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", r.ID, r.Pid, r.Status, r.Bundle, r.Created.Format(time.RFC3339Nano), r.Owner)
			}
			return w.Flush()
		default:
			return fmt.Errorf("list: unknown format %q: use table or json", c.String("format"))
		}
	},
}
