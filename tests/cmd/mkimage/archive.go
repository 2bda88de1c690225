package main

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"xrt/image/ocispec"
)

// writeArchive writes the tar that fill makes to out, atomically.
func writeArchive(out string, fill func(*tar.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(out), ".mkimage-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	tw := tar.NewWriter(buf)
	if err := fill(tw); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), out)
}

// tarDir writes the tree under dir (an image layout) into tw, in lexical
// order, with fixed times and owners: an oci-archive.
func tarDir(tw *tar.Writer, dir string) error {
	return filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if e.IsDir() {
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: filepath.ToSlash(rel) + "/", Mode: 0o755, ModTime: epoch})
		}
		return addFile(tw, filepath.ToSlash(rel), p)
	})
}

// addFile copies the file at p into tw as name.
func addFile(tw *tar.Writer, name, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: fi.Size(), ModTime: epoch}); err != nil {
		return err
	}
	_, err = bufio.NewReader(f).WriteTo(tw)
	return err
}

// dockerSave writes the image of layout l in the classic `docker save`
// format: <config-hex>.json, <layer-hex>/layer.tar and manifest.json. A
// layer blob missing from l (--break missing-blob) is left out of the
// archive but still listed in manifest.json.
func dockerSave(tw *tar.Writer, l layout, repoTag string) error {
	var index ocispec.Index
	if err := readJSON(filepath.Join(l.dir, "index.json"), &index); err != nil {
		return err
	}
	if len(index.Manifests) != 1 || index.Manifests[0].MediaType != ocispec.MediaTypeManifest {
		return errors.New("docker archive: want a layout with exactly one manifest")
	}
	var m ocispec.Manifest
	if err := readJSON(l.blobPath(index.Manifests[0].Digest), &m); err != nil {
		return err
	}
	hex := func(d ocispec.Descriptor) string { return d.Digest[len("sha256:"):] }
	entry := ocispec.DockerSaveEntry{Config: hex(m.Config) + ".json", RepoTags: []string{repoTag}}
	if err := addFile(tw, entry.Config, l.blobPath(m.Config.Digest)); err != nil {
		return err
	}
	for _, d := range m.Layers {
		name := hex(d) + "/layer.tar"
		entry.Layers = append(entry.Layers, name)
		if _, err := os.Stat(l.blobPath(d.Digest)); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: hex(d) + "/", Mode: 0o755, ModTime: epoch}); err != nil {
			return err
		}
		if err := addFile(tw, name, l.blobPath(d.Digest)); err != nil {
			return err
		}
	}
	b, err := json.Marshal([]ocispec.DockerSaveEntry{entry})
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "manifest.json", Mode: 0o644, Size: int64(len(b)), ModTime: epoch}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

func readJSON(p string, v any) error {
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", p, err)
	}
	return nil
}
