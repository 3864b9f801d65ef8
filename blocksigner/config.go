package blocksigner

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bpkeys/bpkeys/signer"
)

// Roles a key can have.
const (
	RoleBlock = "block" // signs block ids: height-checked under Savanna
	RolePeer  = "peer"  // signs p2p-bp-gossip messages: rate-limited only
)

// Config is the service's YAML configuration.
type Config struct {
	// Listen is unix:///path/to.sock or a loopback host:port.
	Listen string `yaml:"listen"`
	// SocketMode is the unix socket's permission bits (default 0660).
	SocketMode string `yaml:"socket-mode,omitempty"`
	// SocketGroup owns the unix socket, so that nodeos's group can connect.
	SocketGroup string `yaml:"socket-group,omitempty"`
	// State is the directory of high-water marks and the signing log.
	State string `yaml:"state"`
	// Metrics is an optional loopback host:port serving GET /metrics.
	Metrics string `yaml:"metrics,omitempty"`
	// Legacy is for chains not yet on Savanna: no height check is possible,
	// block keys are rate-limited instead (also --legacy).
	Legacy bool `yaml:"legacy,omitempty"`
	// Keys are the keys served.
	Keys []KeyConfig `yaml:"keys"`
}

// KeyConfig is one served key.
type KeyConfig struct {
	Key    string `yaml:"key"`    // PUB_K1_..., PUB_R1_... or EOS...
	Device string `yaml:"device"` // pkcs11: or yubikey: reference
	Role   string `yaml:"role"`   // block or peer
	// Rate is the most signatures per second (default: block 4, or 2.5 in
	// legacy mode; peer 10); Burst how many may come at once (default
	// block 8, legacy 3, peer 20).
	Rate  float64 `yaml:"rate,omitempty"`
	Burst int     `yaml:"burst,omitempty"`

	pub signer.PublicKey
	ref signer.Ref
}

// PublicKey returns the parsed key.
func (k KeyConfig) PublicKey() signer.PublicKey { return k.pub }

// Ref returns the parsed device reference.
func (k KeyConfig) Ref() signer.Ref { return k.ref }

// ErrConfig marks configuration errors.
var ErrConfig = errors.New("signer configuration")

// LoadConfig reads and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses and validates YAML. Unknown fields are refused, so a
// misspelt safety setting cannot pass silently.
func ParseConfig(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}

// Validate checks every field and fills defaults.
func (c *Config) Validate() error {
	if _, _, err := ParseListen(c.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if c.Metrics != "" {
		if err := loopback(c.Metrics); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if _, err := c.socketMode(); err != nil {
		return err
	}
	if c.State == "" {
		return configErr("state: give the directory for high-water marks and the signing log, e.g. /var/lib/bpkeys/signer")
	}
	if len(c.Keys) == 0 {
		return configErr("keys: name at least one key (key, device, role)")
	}
	seen := map[signer.PublicKey]bool{}
	for i := range c.Keys {
		k := &c.Keys[i]
		pub, err := signer.ParsePublicKey(k.Key)
		if err != nil {
			return configErr("keys[%d].key: %v", i, err)
		}
		if seen[pub] {
			return configErr("keys[%d].key: %s is listed twice", i, pub)
		}
		seen[pub] = true
		ref, err := signer.ParseRef(k.Device)
		if err != nil {
			return configErr("keys[%d].device: %v", i, err)
		}
		if k.Role != RoleBlock && k.Role != RolePeer {
			return configErr("keys[%d].role: %q (valid: block, peer)", i, k.Role)
		}
		if k.Rate < 0 || k.Burst < 0 {
			return configErr("keys[%d]: rate and burst must be positive", i)
		}
		k.pub, k.ref = pub, ref
	}
	return nil
}

// limits returns the key's rate and burst, defaults applied.
func (k KeyConfig) limits(legacy bool) (float64, int) {
	rate, burst := 4.0, 8
	switch {
	case k.Role == RolePeer:
		rate, burst = 10, 20
	case legacy:
		rate, burst = 2.5, 3
	}
	if k.Rate > 0 {
		rate = k.Rate
	}
	if k.Burst > 0 {
		burst = k.Burst
	}
	return rate, burst
}

func (c *Config) socketMode() (os.FileMode, error) {
	if c.SocketMode == "" {
		return 0o660, nil
	}
	m, err := strconv.ParseUint(c.SocketMode, 8, 32)
	if err != nil || m&^0o777 != 0 {
		return 0, configErr("socket-mode: %q is not an octal permission such as 0660", c.SocketMode)
	}
	if m&0o007 != 0 {
		return 0, configErr("socket-mode: %s lets every local user ask for block signatures; use 0660 with socket-group", c.SocketMode)
	}
	return os.FileMode(m), nil
}

// ParseListen splits a listen value into a network ("unix" or "tcp") and an
// address. TCP addresses must be loopback: the wallet API is unencrypted
// and unauthenticated.
func ParseListen(s string) (network, addr string, err error) {
	if s == "" {
		return "", "", configErr("give unix:///run/bpkeys/signer.sock or a loopback address such as 127.0.0.1:8900")
	}
	if p, ok := strings.CutPrefix(s, "unix://"); ok {
		if !strings.HasPrefix(p, "/") {
			return "", "", configErr("%q: the socket path must be absolute (unix:///run/bpkeys/signer.sock)", s)
		}
		return "unix", p, nil
	}
	s = strings.TrimPrefix(s, "http://")
	if err := loopback(s); err != nil {
		return "", "", err
	}
	return "tcp", s, nil
}

func loopback(hostport string) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port == "" {
		return configErr("%q: expected host:port", hostport)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return configErr("%q is not a loopback address: the wallet API has no encryption or authentication, so it is served on a unix socket or 127.0.0.1 only", hostport)
	}
	return nil
}

// DefaultListen is the socket the documentation and the systemd unit use.
const DefaultListen = "unix:///run/bpkeys/signer.sock"

// ProviderLine is the config.ini line that points nodeos at this signer
// for pub: signature-provider = PUB_...=KEOSD:<url of sign_digest>. It
// names no private key.
func ProviderLine(listen string, pub signer.PublicKey) (string, error) {
	network, addr, err := ParseListen(listen)
	if err != nil {
		return "", err
	}
	url := "http://" + addr + PathSignDigest
	if network == "unix" {
		url = "unix://" + addr + PathSignDigest
	}
	return "signature-provider = " + pub.String() + "=KEOSD:" + url, nil
}
