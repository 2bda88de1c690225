package container

// RootCleanup removes what a root provider made for a container outside
// its state directory (image mode's overlay root in the store). annotations
// are the container's, owner its state directory. A provider that made
// nothing for it returns nil.
type RootCleanup func(annotations map[string]string, id, owner string) error

// RootMade reports whether a root provider made something for a container
// with these annotations, that its RootCleanup has to remove.
type RootMade func(annotations map[string]string) bool

type rootProvider struct {
	cleanup RootCleanup
	made    RootMade
}

var rootProviders []rootProvider

// RegisterRootCleanup adds f to what destroying a container runs, for the
// containers made says the provider made a root for. The command files
// register image mode's, which makes roots through CreateOpts.MakeRoot:
// the dependency goes from them to both packages, never from container to
// image mode.
func RegisterRootCleanup(f RootCleanup, made RootMade) {
	rootProviders = append(rootProviders, rootProvider{f, made})
}

func (c *Container) cleanupRoot(owner string) error {
	for _, p := range rootProviders {
		if err := p.cleanup(c.Annotations, c.ID, owner); err != nil {
			return err
		}
	}
	return nil
}

// rootMade reports whether a root provider has something to clean up
// for the container.
func (c *Container) rootMade() bool {
	for _, p := range rootProviders {
		if p.made(c.Annotations) {
			return true
		}
	}
	return false
}
