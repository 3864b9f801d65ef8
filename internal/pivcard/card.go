package pivcard

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// Management-key and asymmetric algorithm identifiers (NIST SP 800-78-4 and
// Yubico's extensions) as they appear in APDUs and metadata.
const (
	Alg3DES    byte = 0x03
	AlgAES128  byte = 0x08
	AlgAES192  byte = 0x0a
	AlgAES256  byte = 0x0c
	AlgECCP256 byte = 0x11
	AlgECCP384 byte = 0x14
)

// Profile is the firmware an emulated card claims to run.
type Profile struct {
	// Version is what GET VERSION returns and attestations carry.
	Version [3]byte
	// ManagementKeyAlgorithm is the algorithm of the default management key
	// (0102030405060708 three times) after manufacture or reset.
	ManagementKeyAlgorithm byte
}

var (
	// Profile57 is firmware 5.7.1, whose default management key is AES-192.
	Profile57 = Profile{Version: [3]byte{5, 7, 1}, ManagementKeyAlgorithm: AlgAES192}
	// Profile54 is firmware 5.4.3 with a 3DES default management key, the only
	// kind Debian 12's yubico-piv-tool and ykcs11 (2.2.0) can authenticate with.
	Profile54 = Profile{Version: [3]byte{5, 4, 3}, ManagementKeyAlgorithm: Alg3DES}
)

// Factory defaults of the PIV applet.
const (
	DefaultPIN = "123456"
	DefaultPUK = "12345678"
)

// DefaultManagementKey is the factory management key, for 3DES and AES-192.
var DefaultManagementKey = bytes.Repeat([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 3)

// Config selects the identity of a new emulated card.
type Config struct {
	// Profile defaults to Profile57.
	Profile Profile
	// Serial defaults to 12345678.
	Serial uint32
	// FormFactor is the attested form factor; it defaults to 0x01 (USB-A keychain).
	FormFactor byte
}

// Status words the applet answers with.
const (
	swOK               = 0x9000
	swWrongLength      = 0x6700
	swSecurityStatus   = 0x6982
	swBlocked          = 0x6983
	swConditionsOfUse  = 0x6985
	swWrongData        = 0x6a80
	swFuncNotSupported = 0x6a81
	swFileNotFound     = 0x6a82
	swWrongP1P2        = 0x6a86
	swRefNotFound      = 0x6a88
	swINSNotSupported  = 0x6d00
	swCLANotSupported  = 0x6e00
)

const maxShortResponse = 256

// Card is an emulated YubiKey 5 PIV applet holding TEST keys in memory. It is
// safe for concurrent use; commands are processed one at a time.
type Card struct {
	mu         sync.Mutex
	profile    Profile
	serial     uint32
	formFactor byte
	att        *attestation // survives Reset, as on a real key

	pin, puk                 []byte // padded to 8 bytes with 0xFF
	pinMax, pukMax           int
	pinLeft, pukLeft         int
	pinDefault, pukDefault   bool
	mgmtAlg                  byte
	mgmtKey                  []byte
	mgmtTouch, mgmtIsDefault bool
	keys                     map[byte]*slotKey
	objects                  map[uint32][]byte

	// Session state, cleared by SELECT, power off and reset.
	pinVerified bool
	pinFresh    bool // a VERIFY not yet used by a PIN-always key
	mgmtAuthed  bool
	witness     []byte // outstanding management-key witness
	chain       []byte // data of a command chain (CLA 0x10) in progress
	chainINS    byte
	chaining    bool
	pending     []byte // response bytes left for GET RESPONSE

	faults faults
	log    []Exchange
}

// slotKey is a private key held in a key slot.
type slotKey struct {
	alg         byte
	pinPolicy   byte // 1 never, 2 once, 3 always, 4 match once, 5 match always
	touchPolicy byte // 1 never, 2 always, 3 cached
	imported    bool
	priv        *ecdsa.PrivateKey
}

// Exchange is one command and the card's answer, recorded for tests. Commands
// include PINs in clear: the emulator only ever sees test PINs.
type Exchange struct {
	At                time.Time // when the command arrived
	Command, Response []byte    // Response is nil for an injected removal
}

// New returns a factory-fresh emulated card with its own attestation key and
// certificate signed by the emulator root (see AttestationRoot).
func New(cfg Config) (*Card, error) {
	if cfg.Profile == (Profile{}) {
		cfg.Profile = Profile57
	}
	if cfg.Serial == 0 {
		cfg.Serial = 12345678
	}
	if cfg.FormFactor == 0 {
		cfg.FormFactor = 0x01
	}
	c := &Card{profile: cfg.Profile, serial: cfg.Serial, formFactor: cfg.FormFactor}
	att, err := newAttestation(cfg.Profile.Version, cfg.Serial)
	if err != nil {
		return nil, fmt.Errorf("creating attestation key for card %d: %w", cfg.Serial, err)
	}
	c.att = att
	c.factoryReset()
	return c, nil
}

// Serial returns the card's serial number.
func (c *Card) Serial() uint32 { return c.serial }

// Profile returns the firmware profile the card emulates.
func (c *Card) Profile() Profile { return c.profile }

// TakeLog returns the exchanges recorded since the previous call and forgets them.
func (c *Card) TakeLog() []Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.log
	c.log = nil
	return l
}

func (c *Card) factoryReset() {
	c.pin, c.puk = padPIN([]byte(DefaultPIN)), padPIN([]byte(DefaultPUK))
	c.pinMax, c.pukMax, c.pinLeft, c.pukLeft = 3, 3, 3, 3
	c.pinDefault, c.pukDefault = true, true
	c.mgmtAlg = c.profile.ManagementKeyAlgorithm
	c.mgmtKey = bytes.Clone(DefaultManagementKey)
	c.mgmtTouch, c.mgmtIsDefault = false, true
	c.keys = make(map[byte]*slotKey)
	c.objects = map[uint32][]byte{objAttestation: c.att.object()}
	c.resetSession()
}

// resetSession forgets PIN and management-key authentication and any command
// or response chain, as SELECT, power off and card reset do.
func (c *Card) resetSession() {
	c.pinVerified, c.pinFresh, c.mgmtAuthed = false, false, false
	c.witness, c.chain, c.chaining, c.pending = nil, nil, false, nil
}

// PowerCycle simulates powering the card off and on: authentication state is lost.
func (c *Card) PowerCycle() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetSession()
}

// Process handles one C-APDU and returns the R-APDU (data followed by SW1 SW2).
// Injected delays are not applied here but by the Connector; when a removal is
// injected for the command, Process returns nil.
func (c *Card) Process(apdu []byte) []byte {
	resp, _ := c.transmit(apdu)
	return resp
}

// transmit processes apdu under the lock and returns the answer or, when an
// injected removal fires, remove=true and no answer.
func (c *Card) transmit(apdu []byte) (resp []byte, remove bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(apdu) >= 2 {
		if sw, remove, ok := c.faults.match(apdu[1]); ok {
			if remove {
				c.log = append(c.log, Exchange{At: time.Now(), Command: bytes.Clone(apdu)})
				return nil, true
			}
			resp = status(nil, sw)
			c.log = append(c.log, Exchange{At: time.Now(), Command: bytes.Clone(apdu), Response: resp})
			return resp, false
		}
	}
	resp = c.handle(apdu)
	c.log = append(c.log, Exchange{At: time.Now(), Command: bytes.Clone(apdu), Response: bytes.Clone(resp)})
	return resp, false
}

func status(data []byte, sw uint16) []byte {
	return binary.BigEndian.AppendUint16(data, sw)
}

// handle parses the APDU, deals with command and response chaining and
// dispatches to the instruction handlers.
func (c *Card) handle(apdu []byte) []byte {
	if len(apdu) < 4 {
		return status(nil, swWrongLength)
	}
	cla, ins, p1, p2 := apdu[0], apdu[1], apdu[2], apdu[3]
	var data []byte
	switch body := apdu[4:]; {
	case len(body) <= 1: // no data, optional short Le
	case body[0] == 0 && len(body) >= 3: // extended Lc
		n := int(body[1])<<8 | int(body[2])
		if len(body) < 3+n {
			return status(nil, swWrongLength)
		}
		data = body[3 : 3+n]
	default:
		n := int(body[0])
		if len(body) < 1+n {
			return status(nil, swWrongLength)
		}
		data = body[1 : 1+n]
	}
	if cla&^0x10 != 0 {
		return status(nil, swCLANotSupported)
	}

	if ins == 0xc0 { // GET RESPONSE
		if c.pending == nil {
			return status(nil, swConditionsOfUse)
		}
		return c.respond(c.pending, swOK)
	}
	c.pending = nil

	if cla&0x10 != 0 {
		if c.chaining && c.chainINS != ins {
			c.chain = nil
		}
		c.chain, c.chainINS, c.chaining = append(c.chain, data...), ins, true
		return status(nil, swOK)
	}
	if c.chaining {
		if c.chainINS == ins {
			data = append(c.chain, data...)
		}
		c.chain, c.chaining = nil, false
	}

	out, sw := c.dispatch(ins, p1, p2, data)
	return c.respond(out, sw)
}

// respond returns at most 256 data bytes; the rest waits for GET RESPONSE and
// SW 61xx announces it (xx = 00 when 256 or more remain).
func (c *Card) respond(out []byte, sw uint16) []byte {
	if sw != swOK || len(out) <= maxShortResponse {
		c.pending = nil
		return status(bytes.Clone(out), sw)
	}
	c.pending = out[maxShortResponse:]
	next := uint16(len(c.pending))
	if next >= maxShortResponse {
		next = 0
	}
	return status(bytes.Clone(out[:maxShortResponse]), 0x6100|next)
}

var (
	aidPIV      = []byte{0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}
	selectReply = []byte{0x61, 0x11, 0x4f, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
		0x79, 0x07, 0x4f, 0x05, 0xa0, 0x00, 0x00, 0x03, 0x08}
)

func (c *Card) dispatch(ins, p1, p2 byte, data []byte) ([]byte, uint16) {
	switch ins {
	case 0xa4: // SELECT
		if p1 != 0x04 || len(data) < 5 || !bytes.HasPrefix(aidPIV, data) {
			return nil, swFileNotFound
		}
		c.resetSession()
		return selectReply, swOK
	case 0xfd: // GET VERSION
		return c.profile.Version[:], swOK
	case 0xf8: // GET SERIAL
		return binary.BigEndian.AppendUint32(nil, c.serial), swOK
	case 0x20:
		return nil, c.verify(p1, p2, data)
	case 0x24:
		return nil, c.changeReference(p2, data)
	case 0x2c:
		return nil, c.resetRetry(p2, data)
	case 0xfa:
		return nil, c.setRetries(p1, p2)
	case 0xfb: // RESET
		if c.pinLeft != 0 || c.pukLeft != 0 {
			return nil, swConditionsOfUse
		}
		c.factoryReset()
		return nil, swOK
	case 0x87:
		if p2 == 0x9b {
			return c.authenticateManagement(p1, data)
		}
		return c.privateKeyOperation(p1, p2, data)
	case 0xff:
		return nil, c.setManagementKey(p1, p2, data)
	case 0x47:
		return c.generate(p1, p2, data)
	case 0xfe:
		return nil, c.importKey(p1, p2, data)
	case 0xf7:
		return c.metadata(p2)
	case 0xf9:
		return c.attest(p1)
	case 0xcb:
		return c.getData(p1, p2, data)
	case 0xdb:
		return nil, c.putData(p1, p2, data)
	}
	return nil, swINSNotSupported
}

// randomBytes returns n bytes from crypto/rand, which cannot fail since Go 1.24.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// faults holds the injected failures; see the methods in fault.go.
type faults struct {
	nextN    int
	nextSW   uint16
	ins      map[byte]*insFault
	removeOn map[byte]bool
	delay    time.Duration
	noTouch  bool
}

type insFault struct {
	sw uint16
	n  int // remaining commands; negative means until cleared
}
