package deploy_test

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBuildEnforcerFunctionMakesAnArm64Bootstrap runs the target `sam build` runs (template.yaml:
// BuildMethod makefile) and checks that provided.al2023 on arm64 can start what it leaves.
func TestBuildEnforcerFunctionMakesAnArm64Bootstrap(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "-C", "..", "build-EnforcerFunction", "ARTIFACTS_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build-EnforcerFunction: %v\n%s", err, out)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"bootstrap"}, names); diff != "" {
		t.Fatalf("ARTIFACTS_DIR holds (-want +got):\n%s", diff)
	}
	path := filepath.Join(dir, "bootstrap")
	if st, err := os.Stat(path); err != nil || st.Mode().Perm()&0o111 == 0 {
		t.Fatalf("bootstrap is not executable: %v %v", st, err)
	}

	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v %v, want EM_AARCH64 ELFCLASS64 ET_EXEC", f.Machine, f.Class, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked; CGO_ENABLED=0 should make it static")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("bootstrap keeps its symbol table; -ldflags -s should strip it")
	}
	if f.Section(".debug_info") != nil || f.Section(".zdebug_info") != nil {
		t.Error("bootstrap keeps DWARF; -ldflags -w should drop it")
	}

	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != "github.com/corsguard/corsguard/cmd/enforcer" {
		t.Errorf("bootstrap is built from %s, want cmd/enforcer", info.Path)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	// The function builds its aws.Config from Lambda's environment (awsclient.FromEnvironment):
	// the SDK's default chain, and the clients its credential providers bring, would only add
	// package initialisation to every cold start and bytes to the binary.
	for _, m := range info.Deps {
		for _, chain := range []string{"/config", "/service/sts", "/service/sso", "/service/ssooidc", "/service/signin", "/feature/ec2/imds"} {
			if m.Path == "github.com/aws/aws-sdk-go-v2"+chain {
				t.Errorf("bootstrap links %s, part of the SDK's default credential chain", m.Path)
			}
		}
	}
	for k, want := range map[string]string{
		"GOOS":        "linux",
		"GOARCH":      "arm64",
		"CGO_ENABLED": "0",
		"-tags":       "lambda.norpc",
		"-trimpath":   "true", // with -trimpath, Go does not record -ldflags; the sections above show them
	} {
		if settings[k] != want {
			t.Errorf("build setting %s = %q, want %q", k, settings[k], want)
		}
	}
}
