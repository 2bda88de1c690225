package merge

import (
	"slices"
	"testing"
)

func TestMergeEnv(t *testing.T) {
	defaults := []string{"PATH=/spec/bin", "TERM=xterm"}
	tests := []struct {
		name     string
		image    []string
		spec     []string
		explicit Explicit
		want     []string
	}{
		{"defaults lose to image", []string{"PATH=/img/bin", "A=1"}, defaults, Explicit{},
			[]string{"PATH=/img/bin", "A=1", "TERM=xterm"}},
		{"explicit spec wins in place", []string{"A=1", "PATH=/img/bin", "B=2"}, []string{"PATH=/spec/bin", "C=3"}, Explicit{Env: true},
			[]string{"A=1", "PATH=/spec/bin", "B=2", "C=3"}},
		{"only explicit keys win", []string{"A=1", "B=2"}, []string{"A=x", "B=y", "PATH=/p"}, Explicit{EnvKeys: map[string]bool{"B": true}},
			[]string{"A=1", "B=y", "PATH=/p"}},
		{"default PATH when none", []string{"A=1"}, nil, Explicit{},
			[]string{"A=1", DefaultPath}},
		{"nothing at all", nil, nil, Explicit{}, []string{DefaultPath}},
		{"spec PATH counts", nil, []string{"PATH=/x"}, Explicit{}, []string{"PATH=/x"}},
		{"image duplicate: later wins in place", []string{"A=1", "B=2", "A=3"}, nil, Explicit{},
			[]string{"A=3", "B=2", DefaultPath}},
		{"value with equals", []string{"A=b=c"}, []string{"A=d=e"}, Explicit{Env: true},
			[]string{"A=d=e", DefaultPath}},
		{"entry without equals is its own key", []string{"FOO"}, []string{"FOO=1"}, Explicit{Env: true},
			[]string{"FOO=1", DefaultPath}},
		{"empty value still sets the key", []string{"PATH="}, nil, Explicit{}, []string{"PATH="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeEnv(tt.image, tt.spec, tt.explicit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("mergeEnv(%q, %q) = %q, want %q", tt.image, tt.spec, got, tt.want)
			}
		})
	}
}
