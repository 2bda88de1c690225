package main

import (
	"os"
	"os/signal"

	"xrt/logs"
	"xrt/sigcatch"
)

// catchSignals makes every signal a foreground run or exec forwards
// arrive on sigs (see package sigcatch for why not with signal.Notify).
func catchSignals(sigs chan os.Signal) {
	if err := sigcatch.Catch(sigs); err != nil {
		logs.Warnf("%v: falling back to os/signal", err)
		signal.Notify(sigs)
	}
}
