package cgroups

import "testing"

func TestPids(t *testing.T) {
	v, root := fakeV1(t, map[string]string{"pids/pids.max": "max\n", "pids/pids.current": "3\n"})
	w := recordWrites(t, root)
	for _, tc := range []struct {
		limit int64
		want  string
	}{{-1, "max"}, {0, "0"}, {10, "10"}} {
		if err := v.Set(&Resources{Pids: &Pids{Limit: ptr(tc.limit)}}); err != nil {
			t.Fatal(err)
		}
		wantWrites(t, w, "pids/xrt/c1/pids.max="+tc.want)
	}
	var st PidsStats
	if err := statPids(v.dirs["pids"], &st); err != nil || st != (PidsStats{Current: 3, Limit: 10}) {
		t.Errorf("stats %+v %v", st, err)
	}
	put(t, v.dirs["pids"]+"/pids.max", "max\n")
	if err := statPids(v.dirs["pids"], &st); err != nil || st.Limit != 0 {
		t.Errorf("stats %+v %v", st, err)
	}
	wantErr(t, v.Set(&Resources{Pids: &Pids{Limit: ptr(int64(-2))}}), "pids limit -2 must be -1 (unlimited) or >= 0")
	wantNotMounted(t, setPids("", &Pids{Limit: ptr(int64(1))}))
	// nil limit: nothing.
	if err := v.Set(&Resources{Pids: &Pids{}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w)

	v2, root2 := fakeV2(t, map[string]string{"pids.max": "max\n"})
	w2 := recordWrites(t, root2)
	if err := v2.Set(&Resources{Pids: &Pids{Limit: ptr(int64(-1))}}); err != nil {
		t.Fatal(err)
	}
	wantWrites(t, w2, "xrt/c1/pids.max=max")
	v3, _ := fakeV2(t, nil)
	err := v3.Set(&Resources{Pids: &Pids{Limit: ptr(int64(5))}})
	wantNotMounted(t, err)
	wantErr(t, err, "is the pids controller enabled")
}
