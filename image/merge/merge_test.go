package merge

import (
	"errors"
	"maps"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"xrt/image/ocispec"
)

// defaultSpec is a small stand-in for xrt's default spec.
func defaultSpec() *specs.Spec {
	return &specs.Spec{Process: &specs.Process{
		Args: []string{"sh"},
		Env:  []string{"PATH=/default/bin", "TERM=xterm"},
		Cwd:  "/",
	}}
}

func TestMergeArgs(t *testing.T) {
	tests := []struct {
		name       string
		entrypoint []string
		cmd        []string
		specArgs   []string
		explicit   bool
		args       []string
		want       []string
		wantErr    error
	}{
		{"entrypoint and cmd", []string{"/ep", "-x"}, []string{"c1", "c2"}, []string{"sh"}, false, nil, []string{"/ep", "-x", "c1", "c2"}, nil},
		{"cmd only", nil, []string{"/bin/cmd"}, []string{"sh"}, false, nil, []string{"/bin/cmd"}, nil},
		{"entrypoint only", []string{"/ep"}, nil, []string{"sh"}, false, nil, []string{"/ep"}, nil},
		{"user args replace cmd", []string{"/ep"}, []string{"c"}, []string{"sh"}, false, []string{"a", "b"}, []string{"/ep", "a", "b"}, nil},
		{"user args beat explicit spec", nil, []string{"c"}, []string{"spec"}, true, []string{"a"}, []string{"a"}, nil},
		{"explicit spec args kept", []string{"/ep"}, []string{"c"}, []string{"spec", "x"}, true, nil, []string{"spec", "x"}, nil},
		{"nothing to run", nil, nil, []string{"sh"}, false, nil, nil, ErrNoCommand},
		{"explicit but empty", []string{"/ep"}, nil, nil, true, nil, nil, ErrNoCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaultSpec()
			s.Process.Args = tt.specArgs
			img := &ocispec.Image{Config: ocispec.ImageConfig{Entrypoint: tt.entrypoint, Cmd: tt.cmd}}
			err := Merge(s, img, Explicit{Args: tt.explicit}, nil, tt.args)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Merge error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && !slices.Equal(s.Process.Args, tt.want) {
				t.Errorf("args = %q, want %q", s.Process.Args, tt.want)
			}
		})
	}
}

func TestMergeArgsDoNotAlias(t *testing.T) {
	img := &ocispec.Image{Config: ocispec.ImageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"c"}}}
	s := defaultSpec()
	if err := Merge(s, img, Explicit{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	s.Process.Args[0] = "changed"
	if img.Config.Entrypoint[0] != "/ep" {
		t.Fatal("spec args share memory with the image's Entrypoint")
	}
}

func TestMergeCwd(t *testing.T) {
	tests := []struct {
		name     string
		wd       string
		specCwd  string
		explicit bool
		want     string
	}{
		{"image workdir", "/app", "/", false, "/app"},
		{"explicit wins", "/app", "/mine", true, "/mine"},
		{"no workdir keeps default", "", "/", false, "/"},
		{"empty everything", "", "", false, "/"},
		{"explicit empty", "/app", "", true, "/"},
		{"relative workdir", "srv/../app", "/", false, "/app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := defaultSpec()
			s.Process.Cwd = tt.specCwd
			img := &ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}, WorkingDir: tt.wd}}
			if err := Merge(s, img, Explicit{Cwd: tt.explicit}, nil, nil); err != nil {
				t.Fatal(err)
			}
			if s.Process.Cwd != tt.want {
				t.Errorf("cwd = %q, want %q", s.Process.Cwd, tt.want)
			}
		})
	}
}

func TestMergeUser(t *testing.T) {
	umask := uint32(0o27)
	img := &ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}, User: "app"}}

	s := defaultSpec()
	s.Process.User = specs.User{UID: 5, GID: 6, AdditionalGids: []uint32{7}, Umask: &umask}
	if err := Merge(s, img, Explicit{User: true}, imageFS(), nil); err != nil {
		t.Fatal(err)
	}
	if u := s.Process.User; u.UID != 5 || u.GID != 6 || !slices.Equal(u.AdditionalGids, []uint32{7}) {
		t.Errorf("explicit user changed to %+v", u)
	}

	s.Process.User = specs.User{UID: 5, GID: 6, AdditionalGids: []uint32{7}, Umask: &umask}
	if err := Merge(s, img, Explicit{}, imageFS(), nil); err != nil {
		t.Fatal(err)
	}
	u := s.Process.User
	if u.UID != 1000 || u.GID != 1000 || !slices.Equal(u.AdditionalGids, []uint32{2000, 3000}) || u.Umask != &umask {
		t.Errorf("user = %+v, want 1000:1000 [2000 3000] with the spec's umask", u)
	}

	img.Config.User = "nosuch"
	if err := Merge(defaultSpec(), img, Explicit{}, imageFS(), nil); err == nil {
		t.Error("Merge with an unknown user succeeded")
	}
}

func TestMergeNilProcess(t *testing.T) {
	s := &specs.Spec{}
	img := &ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}}}
	if err := Merge(s, img, Explicit{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	p := s.Process
	if !slices.Equal(p.Args, []string{"x"}) || p.Cwd != "/" || !slices.Equal(p.Env, []string{DefaultPath}) {
		t.Errorf("process = %+v", p)
	}
	if err := Merge(nil, img, Explicit{}, nil, nil); err == nil {
		t.Error("Merge(nil spec) succeeded")
	}
}

func TestMergeAnnotations(t *testing.T) {
	img := &ocispec.Image{
		OS:           "linux",
		Architecture: "amd64",
		Variant:      "v3",
		OSFeatures:   []string{"f1", "f2"},
		Author:       "someone",
		Created:      "2001-02-03T04:05:06Z",
		Config: ocispec.ImageConfig{
			Cmd:          []string{"x"},
			StopSignal:   "SIGQUIT",
			ExposedPorts: map[string]struct{}{"8080/tcp": {}, "53/udp": {}, "443": {}},
			Labels: map[string]string{
				"com.example.a":        "label",
				"com.example.b":        "label",
				AnnotationAuthor:       "label author",
				AnnotationArchitecture: "label arch",
			},
		},
	}
	s := defaultSpec()
	s.Annotations = map[string]string{"com.example.b": "spec", AnnotationArchitecture: "spec arch"}
	if err := Merge(s, img, Explicit{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"com.example.a":        "label",
		"com.example.b":        "spec",
		AnnotationOS:           "linux",
		AnnotationArchitecture: "spec arch",
		AnnotationVariant:      "v3",
		AnnotationOSFeatures:   "f1,f2",
		AnnotationAuthor:       "label author",
		AnnotationCreated:      "2001-02-03T04:05:06Z",
		AnnotationStopSignal:   "SIGQUIT",
		AnnotationExposedPorts: "443,53/udp,8080/tcp",
	}
	if !maps.Equal(s.Annotations, want) {
		t.Errorf("annotations =\n%v\nwant\n%v", s.Annotations, want)
	}

	// An image with nothing to say adds no annotations.
	s = defaultSpec()
	if err := Merge(s, &ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}}}, Explicit{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if s.Annotations != nil {
		t.Errorf("annotations = %v, want none", s.Annotations)
	}
}

func TestMergeEnvThroughMerge(t *testing.T) {
	img := &ocispec.Image{Config: ocispec.ImageConfig{Cmd: []string{"x"}, Env: []string{"PATH=/img", "A=1"}}}
	s := defaultSpec()
	if err := Merge(s, img, Explicit{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if want := []string{"PATH=/img", "A=1", "TERM=xterm"}; !slices.Equal(s.Process.Env, want) {
		t.Errorf("env = %q, want %q", s.Process.Env, want)
	}
}
