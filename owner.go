package main

import (
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// ownerOf names the user owning a state directory, as `runc list` shows it.
func ownerOf(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil {
		return ""
	}
	uid := strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid))
	if u, err := user.LookupId(uid); err == nil {
		return u.Username
	}
	return "#" + uid
}
