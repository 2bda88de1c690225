package container

import "time"

// Report is what `xrt state` and `xrt list -f json` print: the runtime-spec
// state plus the fields runc adds, which engines read.
type Report struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Owner       string            `json:"owner"`
}

// Report describes the container as it is now.
func (c *Container) Report() Report {
	r := Report{
		OCIVersion:  c.OCIVersion,
		ID:          c.ID,
		Pid:         c.Pid,
		Status:      c.Status(),
		Bundle:      c.Bundle,
		Rootfs:      c.Rootfs,
		Created:     c.Created,
		Owner:       c.Owner,
		Annotations: c.Annotations,
	}
	if r.Status == Stopped {
		r.Pid = 0
	}
	return r
}
