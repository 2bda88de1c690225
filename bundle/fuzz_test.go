package bundle

import (
	"encoding/json"
	"testing"
)

func FuzzParseValidate(f *testing.F) {
	for _, rootless := range []bool{false, true} {
		data, _ := json.Marshal(Default(rootless))
		f.Add(data)
	}
	f.Add([]byte(`{"ociVersion":"1.0.2-dev","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"}}`))
	f.Add([]byte(`{"process":{"args":"sh"}}`))
	f.Add([]byte(`{"hooks":{"prestart":[{"path":"/x","timeout":0}]},"linux":{"sysctl":{"net.x":"1"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if s != nil {
				t.Fatal("spec returned with an error")
			}
			return
		}
		_ = Validate(s)
	})
}
