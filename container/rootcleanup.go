package container

// RootCleanup removes what a root provider made for a container outside
// its state directory (image mode's overlay root in the store). annotations
// are the container's, owner its state directory. A provider that made
// nothing for it returns nil.
type RootCleanup func(annotations map[string]string, id, owner string) error

var rootCleanups []RootCleanup

// RegisterRootCleanup adds f to what destroying a container runs. The
// command files register image mode's, which makes roots through
// CreateOpts.MakeRoot: the dependency goes from them to both packages,
// never from container to image mode.
func RegisterRootCleanup(f RootCleanup) { rootCleanups = append(rootCleanups, f) }

func (c *Container) cleanupRoot(owner string) error {
	for _, f := range rootCleanups {
		if err := f(c.Annotations, c.ID, owner); err != nil {
			return err
		}
	}
	return nil
}
