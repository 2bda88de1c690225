package merge

import (
	"reflect"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/image/ocispec"
)

func TestVolumes(t *testing.T) {
	cfg := &ocispec.ImageConfig{Volumes: map[string]struct{}{
		"/var/lib/db": {}, "/data/": {}, "/data": {}, "rel/dir": {}, "/a/../b": {},
	}}
	want := []string{"/b", "/data", "/rel/dir", "/var/lib/db"}
	if got := Volumes(cfg); !slices.Equal(got, want) {
		t.Errorf("Volumes = %q, want %q", got, want)
	}
	if got := Volumes(&ocispec.ImageConfig{}); got != nil {
		t.Errorf("Volumes(no volumes) = %q, want nil", got)
	}
	if got := Volumes(nil); got != nil {
		t.Errorf("Volumes(nil) = %q, want nil", got)
	}
}

func TestVolumeMounts(t *testing.T) {
	s := &specs.Spec{Mounts: []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/data/", Type: "bind", Source: "/host/mine"},
	}}
	vols := map[string]string{
		"/var/lib/db": "/store/v/1",
		"/data":       "/store/v/2",
		"/cache":      "/store/v/3",
	}
	want := []specs.Mount{
		{Destination: "/cache", Type: "bind", Source: "/store/v/3", Options: []string{"rbind", "rw"}},
		{Destination: "/var/lib/db", Type: "bind", Source: "/store/v/1", Options: []string{"rbind", "rw"}},
	}
	if got := VolumeMounts(s, vols); !reflect.DeepEqual(got, want) {
		t.Errorf("VolumeMounts =\n%+v\nwant\n%+v", got, want)
	}
	if got := VolumeMounts(nil, map[string]string{"/x": "/h"}); len(got) != 1 || got[0].Destination != "/x" {
		t.Errorf("VolumeMounts(nil spec) = %+v", got)
	}
}
