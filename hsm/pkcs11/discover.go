package pkcs11

import (
	"os"
	"path/filepath"
)

// libDirs are the usual library directories of Debian, Ubuntu and other
// Linux distributions, in search order.
var libDirs = []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"}

// proxyModules are p11-kit's proxy, which loads every module p11-kit has
// registered (SoftHSM2 and most HSM clients register themselves); on
// Debian libp11-kit.so.0 is the same module under its library name.
var proxyModules = []string{"p11-kit-proxy.so", "libp11-kit.so.0"}

// usualModules are the modules of HSMs and SoftHSM2, relative to a
// library directory or absolute, looked for when p11-kit is absent.
var usualModules = []string{
	"softhsm/libsofthsm2.so", "libsofthsm2.so", "pkcs11/libsofthsm2.so",
	"/opt/nfast/toolkits/pkcs11/libcknfast.so",       // Entrust nShield
	"/usr/safenet/lunaclient/lib/libCryptoki2_64.so", // Thales Luna
	"/opt/cloudhsm/lib/libcloudhsm_pkcs11.so",        // AWS CloudHSM
	"/opt/utimaco/lib/libcs_pkcs11_R3.so",            // Utimaco
}

// Discover finds the PKCS#11 modules to list when none is named (no
// --module, no BPKEYS_PKCS11_MODULE, no pkcs11_module in the config):
// p11-kit's proxy when it is installed, since it reaches every registered
// module, else each of the usual HSM and SoftHSM2 modules present. It
// returns the modules found and every path it looked at, so that "no token
// found" can say where bpkeys looked.
func Discover() (found, searched []string) { return discover(libDirs) }

func discover(dirs []string) (found, searched []string) {
	look := func(names []string) {
		seen := map[string]bool{}
		for _, n := range names {
			paths := []string{n}
			if !filepath.IsAbs(n) {
				paths = paths[:0]
				for _, d := range dirs {
					paths = append(paths, filepath.Join(d, n))
				}
			}
			for _, p := range paths {
				searched = append(searched, p)
				real, err := filepath.EvalSymlinks(p)
				if err != nil || seen[real] {
					continue
				}
				if fi, err := os.Stat(real); err == nil && fi.Mode().IsRegular() {
					seen[real] = true
					found = append(found, p)
				}
			}
		}
	}
	look(proxyModules)
	if len(found) > 0 {
		return found[:1], searched
	}
	look(usualModules)
	return found, searched
}
