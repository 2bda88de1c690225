package seccomp

// Program is a compiled seccomp filter, ready for Load. It is what the
// runtime hands to the container's init, so every field is JSON-serializable.
type Program struct {
	// Filter is the raw BPF program: an array of struct sock_filter
	// (8 bytes each, native byte order) as libseccomp exports it.
	Filter []byte `json:"filter"`
	// Flags are the SECCOMP_FILTER_FLAG_* bits for seccomp(2), from
	// linux.seccomp.flags. Load adds NEW_LISTENER itself when Notify is set.
	Flags uint `json:"flags,omitempty"`
	// Notify is set when any rule (or the default action) is
	// SCMP_ACT_NOTIFY: Load then asks the kernel for a listener fd.
	Notify bool `json:"notify,omitempty"`
	// ListenerPath and ListenerMetadata are copied from linux.seccomp for
	// whoever sends the listener fd to the agent.
	ListenerPath     string `json:"listenerPath,omitempty"`
	ListenerMetadata string `json:"listenerMetadata,omitempty"`
}

// Len is the number of BPF instructions in the filter.
func (p *Program) Len() int { return len(p.Filter) / sockFilterSize }

const sockFilterSize = 8 // sizeof(struct sock_filter)
