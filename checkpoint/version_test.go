package checkpoint

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	"golang.org/x/sys/unix"
)

// fakeCriuEnv makes the test binary a stand-in for `criu swrk 3` that
// answers a VERSION request with the version it holds ("3.10"), so that
// the version check runs against a CRIU older than any installed here.
const fakeCriuEnv = "XRT_TEST_FAKE_CRIU_VERSION"

func TestMain(m *testing.M) {
	if v := os.Getenv(fakeCriuEnv); v != "" && len(os.Args) == 3 && os.Args[1] == "swrk" {
		os.Exit(fakeCriu(v))
	}
	os.Exit(m.Run())
}

func fakeCriu(version string) int {
	conn := os.NewFile(3, "criu-rpc")
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		return 1
	}
	var req rpc.CriuReq
	if err := req.UnmarshalVT(buf[:n]); err != nil || req.GetType() != rpc.CriuReqType_VERSION {
		return 2
	}
	major, minor, _ := strings.Cut(version, ".")
	maj, _ := strconv.Atoi(major)
	mnr, _ := strconv.Atoi(minor)
	t := rpc.CriuReqType_VERSION
	resp := &rpc.CriuResp{Type: &t, Success: ptr(true), Version: &rpc.CriuVersion{MajorNumber: ptr(int32(maj)), MinorNumber: ptr(int32(mnr))}}
	b, err := resp.MarshalVT()
	if err != nil {
		return 3
	}
	if _, err := conn.Write(b); err != nil {
		return 4
	}
	// CRIU exits once its peer closes the socket.
	unix.Read(3, buf)
	return 0
}

func TestTooOldCriu(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	old := Binary
	Binary = self
	defer func() { Binary = old }()
	t.Setenv(fakeCriuEnv, "3.10")
	v, err := checkVersion()
	if v != 31000 || err == nil || !strings.Contains(err.Error(), "criu 3.10.0 is too old: xrt needs 3.11 or later") {
		t.Errorf("checkVersion with CRIU 3.10: %d, %v", v, err)
	}
	t.Setenv(fakeCriuEnv, "3.17")
	if v, err := checkVersion(); v != 31700 || err != nil {
		t.Errorf("checkVersion with CRIU 3.17: %d, %v", v, err)
	}
}
