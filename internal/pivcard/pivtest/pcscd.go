package pivtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-piv/piv-go/v2/piv"
)

// The project's vpcd readers: four reader entries in server mode on the even
// ports 35963..35969; Debian's vpcd gives each entry two slots, on PORT and
// PORT+1, so cards can use the eight ports 35963..35970.
//
// vpcd keeps its sockets in per-library globals indexed by slot, so several
// entries sharing one LIBPATH overwrite each other and only the last entry
// works (seen with vsmartcard-vpcd 3.3 on Debian 12). Each entry therefore
// loads its own copy of the driver.
const (
	FirstPort    = 35963
	ReaderCount  = 4
	ReaderPrefix = "Yubico YubiKey vpcd" // ykcs11 only uses readers named "Yubico..."
	// PCSCDDir holds the configuration, driver copies and log of a pcscd
	// started by EnsurePCSCD or scripts/pcscd/start.sh; it is root-owned
	// because pcscd loads drivers from it.
	PCSCDDir     = "/run/bpkeys-pcscd"
	vpcdDriver   = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	pcscdPIDFile = "/run/pcscd/pcscd.pid"
)

// Ports returns the vpcd ports of all slots of the project's readers.
func Ports() []int {
	ports := make([]int, 0, 2*ReaderCount)
	for p := FirstPort; p < FirstPort+2*ReaderCount; p++ {
		ports = append(ports, p)
	}
	return ports
}

// ReaderName returns the PC/SC name of the reader slot served on port: pcscd
// names slot s of a reader "FRIENDLYNAME 00 0s".
func ReaderName(port int) string {
	base := port - (port-FirstPort)%2
	return fmt.Sprintf("%s %d 00 %02d", ReaderPrefix, base, port-base)
}

// ReaderConf returns the reader.conf.d file describing the project's
// readers, whose drivers are the copies driverDir/libifdvpcd-PORT.so; it is
// what scripts/pcscd/start.sh writes too.
func ReaderConf(driverDir string) string {
	var b strings.Builder
	b.WriteString("# bpkeys test readers: vsmartcard-vpcd in server mode; emulated cards dial PORT and PORT+1.\n")
	for i := range ReaderCount {
		p := FirstPort + 2*i
		fmt.Fprintf(&b, "\nFRIENDLYNAME \"%s %d\"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n",
			ReaderPrefix, p, p, driverPath(driverDir, p), p)
	}
	return b.String()
}

func driverPath(dir string, port int) string {
	return filepath.Join(dir, fmt.Sprintf("libifdvpcd-%d.so", port))
}

// writePCSCDConfig writes PCSCDDir/reader.conf.d and the driver copies.
func writePCSCDConfig() (confDir string, err error) {
	driverDir := filepath.Join(PCSCDDir, "drivers")
	confDir = filepath.Join(PCSCDDir, "reader.conf.d")
	for _, d := range []string{driverDir, confDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return "", fmt.Errorf("creating %s: %w", d, err)
		}
	}
	driver, err := os.ReadFile(vpcdDriver)
	if err != nil {
		return "", fmt.Errorf("vsmartcard-vpcd not installed: %w", err)
	}
	for i := range ReaderCount {
		if err := os.WriteFile(driverPath(driverDir, FirstPort+2*i), driver, 0o644); err != nil {
			return "", fmt.Errorf("copying vpcd driver: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(confDir, "bpkeys-vpcd"), []byte(ReaderConf(driverDir)), 0o644); err != nil {
		return "", fmt.Errorf("writing reader configuration: %w", err)
	}
	return confDir, nil
}

// stateDir is the well-known directory shared by all test processes for the
// port locks and the lock serialising pcscd start-up.
func stateDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "bpkeys-pcsc")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	// Sticky and world-writable like /tmp, so that non-root test runs can lock
	// ports after a root run created the directory.
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm() != 0o777 && os.Geteuid() == 0 {
		_ = os.Chmod(dir, 0o777|os.ModeSticky)
	}
	return dir, nil
}

var pcscdOnce struct {
	sync.Mutex
	done bool
	err  error
}

// EnsurePCSCD makes sure pcscd runs with the project's readers, starting
// `pcscd --foreground --config DIR` (detached, never --auto-exit) when no
// pcscd runs; that needs root. A pcscd that runs without the readers (the
// system's, or one started with another configuration) is left alone and
// reported: restart it with scripts/pcscd/start.sh. The result is cached for
// the process; concurrent test processes serialise on a lock file.
func EnsurePCSCD() error {
	pcscdOnce.Lock()
	defer pcscdOnce.Unlock()
	if !pcscdOnce.done {
		pcscdOnce.err = ensurePCSCD()
		pcscdOnce.done = true
	}
	return pcscdOnce.err
}

func readersPresent() (bool, error) {
	readers, err := piv.Cards()
	if err != nil {
		return false, err
	}
	for _, p := range Ports() {
		if !slices.Contains(readers, ReaderName(p)) {
			return false, nil
		}
	}
	return true, nil
}

func ensurePCSCD() error {
	dir, err := stateDir()
	if err != nil {
		return err
	}
	lock, err := flockPoll(filepath.Join(dir, "pcscd.lock"), syscall.LOCK_EX, time.Minute)
	if err != nil {
		return err
	}
	defer lock.Close()

	ok, listErr := readersPresent()
	if ok {
		return nil
	}
	if pid, cmdline := runningPCSCD(); pid != "" {
		return fmt.Errorf("pcscd (pid %s, %q) runs without the %q readers; restart it with scripts/pcscd/start.sh", pid, cmdline, ReaderPrefix)
	}
	if listErr == nil {
		return fmt.Errorf("a PC/SC service without the %q readers answers; restart pcscd with scripts/pcscd/start.sh", ReaderPrefix)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("pcscd is not running and starting it needs root; run sudo scripts/pcscd/start.sh: %w", listErr)
	}
	bin, err := exec.LookPath("pcscd")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/pcscd"); err != nil {
			return fmt.Errorf("pcscd not installed: %w", err)
		}
	}
	confDir, err := writePCSCDConfig()
	if err != nil {
		return err
	}
	logPath := filepath.Join(PCSCDDir, "pcscd.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("creating pcscd log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--foreground", "--config", confDir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // outlive this test process
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting pcscd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if ok, _ := readersPresent(); ok {
			return nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("pcscd exited: %w: %s", err, bytes.TrimSpace(log))
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pcscd started but the %q readers did not appear within 10s (log: %s)", ReaderPrefix, logPath)
		}
	}
}

// runningPCSCD returns the pid and command line of a running pcscd, if any.
func runningPCSCD() (pid, cmdline string) {
	b, err := os.ReadFile(pcscdPIDFile)
	if err != nil {
		return "", ""
	}
	pid = strings.TrimSpace(strings.TrimRight(string(b), "\x00\n"))
	cl, err := os.ReadFile(filepath.Join("/proc", pid, "cmdline"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", "" // stale pid file; pcscd cleans it up on start
		}
		return pid, ""
	}
	return pid, strings.TrimSpace(strings.ReplaceAll(string(cl), "\x00", " "))
}
