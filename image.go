package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"xrt/image"
)

var imageCommand = &cli.Command{
	Name:  "image",
	Usage: "manage the image layer store (image mode)",
	Subcommands: []*cli.Command{
		{
			Name:  "ls",
			Usage: "list the images in the store",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "manifest digests only"},
				&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
			},
			Action: imageList,
		},
		{
			Name:      "rm",
			Usage:     "remove images (refused while a container uses one); their layers go at the next prune",
			ArgsUsage: "REF|DIGEST...",
			Action:    imageRemove,
		},
		{
			Name:   "prune",
			Usage:  "remove the layers no image and no container uses",
			Action: imagePrune,
		},
	},
}

func openStore(c *cli.Context) (*image.Store, error) {
	return image.Open(c.String("store"))
}

func imageList(c *cli.Context) error {
	st, err := openStore(c)
	if err != nil {
		return err
	}
	imgs, err := st.Images()
	if err != nil {
		return err
	}
	switch {
	case c.Bool("quiet"):
		for _, i := range imgs {
			fmt.Println(i.ManifestDigest)
		}
		return nil
	case c.String("format") == "json":
		if imgs == nil {
			imgs = []image.ImageInfo{}
		}
		return json.NewEncoder(os.Stdout).Encode(imgs)
	case c.String("format") != "table":
		return fmt.Errorf("image ls: unknown format %q: want table or json", c.String("format"))
	}
	w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
	fmt.Fprint(w, "NAME\tDIGEST\tSIZE\tCONTAINERS\n")
	for _, i := range imgs {
		name := "<none>"
		if len(i.Names) > 0 {
			name = strings.Join(i.Names, ",")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, shortDigest(i.ManifestDigest), humanSize(i.Size), strings.Join(i.Containers, ","))
	}
	return w.Flush()
}

func imageRemove(c *cli.Context) error {
	if c.NArg() == 0 {
		return fmt.Errorf("image rm: expected at least one image reference or digest")
	}
	st, err := openStore(c)
	if err != nil {
		return err
	}
	for _, ref := range c.Args().Slice() {
		if err := st.RemoveImage(storeName(ref)); err != nil {
			return err
		}
	}
	return nil
}

func imagePrune(c *cli.Context) error {
	st, err := openStore(c)
	if err != nil {
		return err
	}
	removed, freed, err := st.Prune()
	if err != nil {
		return err
	}
	fmt.Printf("removed %d layer(s), %s freed\n", len(removed), humanSize(freed))
	return nil
}

// storeName is the name Pull records for a reference: its path made
// absolute. Digests are left as they are.
func storeName(ref string) string {
	if strings.HasPrefix(ref, "sha256:") || strings.HasPrefix(ref, "sha512:") {
		return ref
	}
	r, err := image.ParseRef(ref)
	if err != nil {
		return ref
	}
	if abs, err := filepath.Abs(r.Path); err == nil {
		r.Path = abs
	}
	return r.String()
}

func shortDigest(d string) string {
	if _, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return hex[:12]
	}
	return d
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fkB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
