package pivtest_test

// Cross-checks of the emulator with clients we did not write: Yubico's
// yubico-piv-tool and ykcs11 (Debian 12: 2.2.0, 3DES management keys only,
// hence Profile54) and OpenSSL, all through the real pcscd.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-piv/piv-go/v2/piv"

	"github.com/bpkeys/bpkeys/internal/pivcard"
	"github.com/bpkeys/bpkeys/internal/pivcard/pivtest"
	"github.com/bpkeys/bpkeys/internal/testenv"
)

const ykcs11Module = "/usr/lib/x86_64-linux-gnu/libykcs11.so"

// run executes a tool in dir and returns its combined output, failing the
// test when it exits non-zero.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	return runEnv(t, dir, nil, name, args...)
}

// runEnv is run with extra environment variables (PINs for a tool's env:
// form, so that they never sit in its argv).
func runEnv(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func readPEMPublicKey(t *testing.T, path string) *ecdsa.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s holds no PEM", path)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("%s: %T, want ECDSA", path, pub)
	}
	return ec
}

func TestYubicoPIVTool(t *testing.T) {
	t.Parallel()
	ypt := testenv.LookPath(t, "yubico-piv-tool", testenv.Hint)
	openssl := testenv.LookPath(t, "openssl", testenv.Hint)
	c := pivtest.NewCard(t, pivtest.WithProfile(pivcard.Profile54))
	dir := t.TempDir()
	r := []string{"-r", c.Reader}

	status := run(t, dir, ypt, append(r, "-a", "status")...)
	for _, want := range []string{"Version:\t5.4.3", fmt.Sprintf("Serial Number:\t%d", c.Serial()), "PIN tries left:\t3"} {
		if !strings.Contains(status, want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}

	run(t, dir, ypt, append(r, "-a", "generate", "-s", "9c", "-A", "ECCP256",
		"--pin-policy=once", "--touch-policy=never", "-o", "9c.pub")...)
	pub := readPEMPublicKey(t, filepath.Join(dir, "9c.pub"))

	// A slot certificate for the generated key, made by OpenSSL (yubico-piv-tool
	// 2.2.0 cannot self-sign with OpenSSL 3).
	run(t, dir, openssl, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
	run(t, dir, openssl, "req", "-new", "-key", "ca.key", "-subj", "/CN=ypt-test", "-out", "tmp.csr")
	run(t, dir, openssl, "x509", "-req", "-in", "tmp.csr", "-signkey", "ca.key", "-force_pubkey", "9c.pub",
		"-days", "1", "-out", "9c.crt")
	run(t, dir, ypt, append(r, "-a", "import-certificate", "-s", "9c", "-i", "9c.crt")...)
	if out := run(t, dir, ypt, append(r, "-a", "read-certificate", "-s", "9c", "-o", "read.crt")...); out != "" {
		t.Logf("read-certificate: %s", out)
	}
	if subj := run(t, dir, openssl, "x509", "-in", "read.crt", "-noout", "-subject"); !strings.Contains(subj, "CN = ypt-test") {
		t.Errorf("certificate read back: %s", subj)
	}

	run(t, dir, ypt, append(r, "-a", "attest", "-s", "9c", "-o", "attest.pem")...)
	text := run(t, dir, openssl, "x509", "-in", "attest.pem", "-noout", "-text")
	for _, want := range []string{"YubiKey PIV Attestation 9c", "1.3.6.1.4.1.41482.3.3", "1.3.6.1.4.1.41482.3.7",
		"1.3.6.1.4.1.41482.3.8", "1.3.6.1.4.1.41482.3.9"} {
		if !strings.Contains(text, want) {
			t.Errorf("attestation lacks %q:\n%s", want, text)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "attest.pem"))
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("attestation is not PEM")
	}
	slotCert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(slotCert.PublicKey) {
		t.Error("attested key differs from the generated one")
	}

	out := run(t, dir, ypt, append(r, "-a", "verify-pin", "-P", piv.DefaultPIN, "-a", "test-signature", "-s", "9c", "-i", "9c.crt")...)
	if !strings.Contains(out, "Successful ECDSA verification") {
		t.Errorf("test-signature:\n%s", out)
	}

	// The same card through piv-go: the key and its attestation agree.
	yk := c.Open(t)
	attCert, err := yk.AttestationCertificate()
	if err != nil {
		t.Fatal(err)
	}
	roots, err := pivcard.AttestationRoots()
	if err != nil {
		t.Fatal(err)
	}
	a, err := (&piv.Verifier{Roots: roots}).Verify(attCert, slotCert)
	if err != nil {
		t.Fatal(err)
	}
	if a.Serial != c.Serial() || a.PINPolicy != piv.PINPolicyOnce || a.Slot != piv.SlotSignature {
		t.Errorf("attestation %+v", a)
	}
}

func TestYKCS11(t *testing.T) {
	t.Parallel()
	p11 := testenv.LookPath(t, "pkcs11-tool", testenv.Hint)
	openssl := testenv.LookPath(t, "openssl", testenv.Hint)
	if _, err := os.Stat(ykcs11Module); err != nil {
		testenv.Missing(t, "ykcs11", testenv.Hint)
	}
	c := pivtest.NewCard(t, pivtest.WithProfile(pivcard.Profile54), pivtest.WithAllReaders())
	dir := t.TempDir()
	token := fmt.Sprintf("YubiKey PIV #%d", c.Serial())
	base := []string{"--module", ykcs11Module, "--token-label", token}

	if out := run(t, dir, p11, "--module", ykcs11Module, "-L"); !strings.Contains(out, token) {
		t.Fatalf("token %q not listed:\n%s", token, out)
	}
	// ykcs11's SO PIN is the management key in hex; id 2 is slot 9C. The
	// PINs reach pkcs11-tool through its env: form, never its argv.
	pins := []string{"BPKEYS_TOOLS_SO_PIN=" + hex.EncodeToString(pivcard.DefaultManagementKey), "BPKEYS_TOOLS_PIN=" + piv.DefaultPIN}
	runEnv(t, dir, pins, p11, append(base, "--login", "--login-type", "so", "--so-pin", "env:BPKEYS_TOOLS_SO_PIN",
		"--keypairgen", "--key-type", "EC:prime256v1", "--id", "2")...)
	digest := sha256.Sum256([]byte("hello eosio"))
	if err := os.WriteFile(filepath.Join(dir, "d.bin"), digest[:], 0o600); err != nil {
		t.Fatal(err)
	}
	runEnv(t, dir, pins, p11, append(base, "--login", "--pin", "env:BPKEYS_TOOLS_PIN", "--sign", "-m", "ECDSA", "--id", "2",
		"-i", "d.bin", "-o", "sig.der", "--signature-format", "openssl")...)
	run(t, dir, p11, append(base, "--read-object", "--type", "pubkey", "--id", "2", "-o", "pub.der")...)
	run(t, dir, openssl, "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem")
	out := run(t, dir, openssl, "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "d.bin", "-sigfile", "sig.der")
	if !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl verify:\n%s", out)
	}

	// Cross-check in Go: the signature verifies against the card's key as
	// piv-go reports it.
	sig, err := os.ReadFile(filepath.Join(dir, "sig.der"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Open(t).KeyInfo(piv.SlotSignature)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(info.PublicKey.(*ecdsa.PublicKey), digest[:], sig) {
		t.Error("ykcs11 signature does not verify against the slot key")
	}
	if !bytes.Equal(pointOf(t, info.PublicKey.(*ecdsa.PublicKey)), pointOf(t, readPEMPublicKey(t, filepath.Join(dir, "pub.pem")))) {
		t.Error("ykcs11 public key differs from the slot key")
	}
}

func pointOf(t *testing.T, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	b, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
