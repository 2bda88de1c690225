package image_test

import (
	"fmt"
	"log"

	"xrt/image"
)

// ExampleOpen shows image mode from a reference to a mountable root
// filesystem. (Not run: it needs an image at that path.)
func ExampleOpen() {
	ref, err := image.ParseRef("/srv/images/busybox.tar:latest")
	if err != nil {
		log.Fatal(err)
	}
	img, err := image.Resolve(ref) // manifest and config read and verified
	if err != nil {
		log.Fatal(err)
	}
	defer img.Close()

	st, err := image.Open(image.DefaultStoreDir)
	if err != nil {
		log.Fatal(err)
	}
	rec, err := st.Pull(img, ref.String()) // missing layers unpacked, verified
	if err != nil {
		log.Fatal(err)
	}
	rootfs, err := st.CreateContainer("box", "", rec.Stack())
	if err != nil {
		log.Fatal(err)
	}
	data, chdir, err := rootfs.MountData()
	if err != nil {
		log.Fatal(err)
	}
	// The rootfs package mounts: chdir (when not ""), then
	// mount("overlay", rootfs.Merged, "overlay", 0, data).
	fmt.Println(rootfs.Merged, chdir, data)

	// Later, once rootfs.Merged is unmounted:
	if err := st.RemoveContainer("box", ""); err != nil {
		log.Fatal(err)
	}
}
