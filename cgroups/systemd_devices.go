package cgroups

import (
	"fmt"
	"strings"

	sddbus "github.com/coreos/go-systemd/v22/dbus"
)

// deviceAllow is one DeviceAllow entry: a node ("/dev/char/1:3", which
// systemd parses without a stat) or a group ("char-pts", "block-*") and its
// access ("rwm").
type deviceAllow struct {
	Node, Access string
}

// deviceProperties converts device rules into DevicePolicy and DeviceAllow.
// systemd cannot express a deny after an allow, so the result is never
// stricter than the rules: a narrow deny is left out, an allow of every
// device gives DevicePolicy=auto. The v2 code then attaches xrt's own
// eBPF filter, exact, in place of systemd's. No rules: no properties.
func deviceProperties(rules []DeviceRule) []sddbus.Property {
	if len(rules) == 0 {
		return nil
	}
	allowAll := false
	var allow []deviceAllow
	names := map[string]map[int64]string(nil)
	for _, r := range rules {
		all := (r.Type == "" || r.Type == "a") && r.Major == -1 && r.Minor == -1
		if !r.Allow {
			if all && (r.Access == "" || hasAll(r.Access)) {
				allowAll, allow = false, nil
			}
			continue
		}
		if all {
			allowAll = true
			continue
		}
		types := []string{r.Type}
		if r.Type == "" || r.Type == "a" {
			types = []string{"c", "b"}
		}
		access := r.Access
		if access == "" {
			access = "rwm"
		}
		for _, t := range types {
			group := map[string]string{"c": "char", "b": "block"}[t]
			var node string
			switch {
			case r.Major == -1:
				node = group + "-*"
			case r.Minor == -1:
				if names == nil {
					names = procDevices()
				}
				if n, ok := names[t][r.Major]; ok {
					node = group + "-" + n
				} else {
					node = group + "-*" // a major with no name: wider, never narrower
				}
			default:
				node = fmt.Sprintf("/dev/%s/%d:%d", group, r.Major, r.Minor)
			}
			allow = addAllow(allow, node, access)
		}
	}
	if allowAll {
		return []sddbus.Property{prop("DevicePolicy", "auto"), prop("DeviceAllow", []deviceAllow{})}
	}
	// An empty list first: it clears what an earlier start or update set.
	return []sddbus.Property{prop("DevicePolicy", "strict"), prop("DeviceAllow", []deviceAllow{}), prop("DeviceAllow", allow)}
}

func hasAll(access string) bool {
	return strings.Contains(access, "r") && strings.Contains(access, "w") && strings.Contains(access, "m")
}

// addAllow adds node with access, merging the access of an entry for the
// same node.
func addAllow(list []deviceAllow, node, access string) []deviceAllow {
	for i := range list {
		if list[i].Node == node {
			merged := ""
			for _, c := range "rwm" {
				if strings.ContainsRune(list[i].Access+access, c) {
					merged += string(c)
				}
			}
			list[i].Access = merged
			return list
		}
	}
	return append(list, deviceAllow{node, access})
}
