package pinentry

import (
	"errors"
	"os"
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

	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.WriteString("111222\n"); w.Close() }()
	src, _ := Parse("fd:" + itoa(int(r.Fd())))
	pin, err = src.Read("PIN")
	if err != nil || string(pin) != "111222" {
		t.Fatalf("fd: %q, %v", pin, err)
	}
	Wipe(pin)
	for _, b := range pin {
		if b != 0 {
			t.Fatal("Wipe left data")
		}
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
