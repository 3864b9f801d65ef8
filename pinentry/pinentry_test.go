package pinentry

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Source
		wantErr string
	}{
		{"", Source{Kind: Prompt}, ""},
		{"env:BPKEYS_PIN", Source{Env, "BPKEYS_PIN"}, ""},
		{"file:/run/pin", Source{File, "/run/pin"}, ""},
		{"fd:3", Source{FD, "3"}, ""},
		{"fd:x", Source{}, "file descriptor number"},
		{"fd:-1", Source{}, "file descriptor number"},
		{"env:", Source{}, "expected env:NAME"},
		{"value:1234", Source{}, "unknown kind"},
		{"pin:987654", Source{}, "unknown kind"},
		{"1234", Source{}, "expected env:NAME"},
		{"env:123456", Source{}, "environment variable name"},
		{"file:123456", Source{}, "absolute path"},
	} {
		got, err := Parse(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Parse(%q) error = %v, want containing %q", tc.in, err, tc.wantErr)
			}
			if err != nil && strings.ContainsAny(tc.in, "0123456789") && strings.Contains(err.Error(), tc.in) {
				t.Errorf("error repeats the value, which may be a PIN typed in the wrong place: %v", err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestReadEnvFileFD(t *testing.T) {
	t.Setenv("TEST_PIN", "123456")
	pin, err := Source{Env, "TEST_PIN"}.Read("PIN")
	if err != nil || string(pin) != "123456" {
		t.Fatalf("env: %q, %v", pin, err)
	}
	if _, err := (Source{Env, "TEST_PIN_UNSET_X"}).Read("PIN"); err == nil {
		t.Error("unset env accepted")
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "pin")
	if err := os.WriteFile(good, []byte("654321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pin, err = Source{File, good}.Read("PIN")
	if err != nil || string(pin) != "654321" {
		t.Fatalf("file: %q, %v", pin, err)
	}
	loose := filepath.Join(dir, "loose")
	if err := os.WriteFile(loose, []byte("654321\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Source{File, loose}.Read("PIN")
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "654321") {
		t.Errorf("group-readable file: err = %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := (Source{File, big}).Read("PIN"); err == nil {
		t.Error("oversized PIN file accepted")
	}

	Wipe(pin)
	for _, b := range pin {
		if b != 0 {
			t.Fatal("Wipe left data")
		}
	}
}

// TestFileChecks: a PIN file must be the running user's own, not a
// symbolic link, in a directory others cannot write to.
func TestFileChecks(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "pin")
	os.WriteFile(good, []byte("654321\n"), 0o600)
	open := filepath.Join(dir, "open")
	os.Mkdir(open, 0o700)
	os.Chmod(open, 0o777)
	inOpen := filepath.Join(open, "pin")
	os.WriteFile(inOpen, []byte("654321\n"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(good, link)
	cases := []struct{ path, want string }{
		{inOpen, "writable by group or others"},
		{link, "symbolic link"},
		{dir, "not a regular file"},
	}
	if os.Getuid() == 0 {
		other := filepath.Join(dir, "other")
		os.WriteFile(other, []byte("654321\n"), 0o600)
		if err := os.Chown(other, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, struct{ path, want string }{other, "belongs to another user"})
	} else {
		t.Log("not root: the file-owned-by-another-user case needs chown and is not run")
	}
	for _, tc := range cases {
		_, err := Source{File, tc.path}.Read("PIN")
		var se *SourceError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "654321") {
			t.Errorf("%s: err = %v, want %q", tc.path, err, tc.want)
		}
	}
}

// TestFDRefusesOwnDescriptors: a descriptor this process opened itself
// (here a pipe with a PIN in it) is refused and nothing is read from it.
func TestFDRefusesOwnDescriptors(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("111222\n")
	w.Close()
	for _, n := range []int{int(r.Fd()), 1, 2, 987} {
		src, _ := Parse("fd:" + itoa(n))
		if _, err := src.Read("PIN"); err == nil {
			t.Errorf("fd:%d accepted", n)
		}
	}
	b := make([]byte, 16)
	if k, _ := r.Read(b); string(b[:k]) != "111222\n" {
		t.Fatalf("the refused descriptor was read: %q left", b[:k])
	}
}

// TestFDPassedByCaller runs the test binary as a child with fd 3 set to
// what a caller would pass: a pipe is read; /proc files, a character
// device and no descriptor at all are refused.
func TestFDPassedByCaller(t *testing.T) {
	if os.Getenv("BPKEYS_PIN_FD_CHILD") != "" {
		pin, err := Source{FD, "3"}.Read("PIN")
		if err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
		} else {
			os.Stdout.WriteString("PIN " + string(pin) + "\n")
		}
		return
	}
	child := func(extra *os.File) string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFDPassedByCaller$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BPKEYS_PIN_FD_CHILD=1")
		if extra != nil {
			cmd.ExtraFiles = []*os.File{extra}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return string(out)
	}
	r, w, _ := os.Pipe()
	w.WriteString("246813\n")
	w.Close()
	if out := child(r); !strings.Contains(out, "PIN 246813") {
		t.Errorf("pipe: %s", out)
	}
	r.Close()
	proc, _ := os.Open("/proc/self/status")
	if out := child(proc); !strings.Contains(out, "ERR") || !strings.Contains(out, "under /proc/") {
		t.Errorf("/proc file: %s", out)
	}
	proc.Close()
	null, _ := os.Open(os.DevNull)
	if out := child(null); !strings.Contains(out, "not a pipe, socket or regular file") {
		t.Errorf("/dev/null: %s", out)
	}
	null.Close()
	if out := child(nil); !strings.HasPrefix(out, "ERR ") {
		t.Errorf("nothing passed: %s", out)
	}
}

func TestPromptWithoutTerminal(t *testing.T) {
	// Under go test, stdin is not a terminal.
	_, err := Source{Kind: Prompt}.Read("PIN")
	if !errors.Is(err, ErrNoTerminal) {
		t.Fatalf("err = %v, want ErrNoTerminal", err)
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
