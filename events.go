package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"xrt/container"
)

var eventsCommand = &cli.Command{
	Name:      "events",
	Usage:     "print a container's resource usage and OOM events as JSON",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "stats", Usage: "print the stats once and exit"},
		&cli.DurationFlag{Name: "interval", Value: 5 * time.Second, Usage: "time between stats"},
	},
	Action: func(c *cli.Context) error {
		id, err := oneID(c)
		if err != nil {
			return err
		}
		ctr, err := container.Load(c.String("root"), id)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(os.Stdout)
		stats := func() error {
			s, err := ctr.Stats()
			if err != nil {
				return err
			}
			return enc.Encode(event{Type: "stats", ID: id, Data: s})
		}
		if c.Bool("stats") {
			return stats()
		}
		ooms, _ := ctr.OOMKills()
		tick := time.NewTicker(c.Duration("interval"))
		defer tick.Stop()
		// OOM kills are polled more often than stats are printed.
		poll := time.NewTicker(100 * time.Millisecond)
		defer poll.Stop()
		for ctr.Status() != container.Stopped {
			select {
			case <-tick.C:
				if err := stats(); err != nil {
					return err
				}
			case <-poll.C:
				if n, err := ctr.OOMKills(); err == nil && n > ooms {
					ooms = n
					enc.Encode(event{Type: "oom", ID: id})
				}
			}
		}
		return nil
	},
}

// event is one record of `events`, in runc's shape.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}
