package pivcard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// Yubico's attestation extensions, parsed by piv-go's Verify.
var (
	extFirmware   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 3}
	extSerial     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 7}
	extPolicy     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 8}
	extFormFactor = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 41482, 3, 9}
)

// Validity of emulated attestation certificates, as on Yubico's.
var (
	attNotBefore = time.Date(2016, 3, 14, 0, 0, 0, 0, time.UTC)
	attNotAfter  = time.Date(2052, 4, 17, 0, 0, 0, 0, time.UTC)
)

var emulatorRoot struct {
	once sync.Once
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
	err  error
}

func loadRoot() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	r := &emulatorRoot
	r.once.Do(func() {
		r.key, r.err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if r.err != nil {
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber:          randomSerial(),
			Subject:               pkix.Name{CommonName: "bpkeys EMULATED YubiKey PIV Root CA - TEST ONLY, not Yubico"},
			NotBefore:             attNotBefore,
			NotAfter:              attNotAfter,
			IsCA:                  true,
			BasicConstraintsValid: true,
			MaxPathLen:            1,
			KeyUsage:              x509.KeyUsageCertSign,
		}
		var der []byte
		der, r.err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &r.key.PublicKey, r.key)
		if r.err == nil {
			r.cert, r.err = x509.ParseCertificate(der)
		}
	})
	if r.err != nil {
		return nil, nil, fmt.Errorf("creating emulator attestation root: %w", r.err)
	}
	return r.cert, r.key, nil
}

// AttestationRoot returns the root CA that every emulated card's attestation
// certificate (slot F9) chains to. It is created once per process, so only
// cards of the same process verify against it. It is NOT Yubico's root.
func AttestationRoot() (*x509.Certificate, error) {
	cert, _, err := loadRoot()
	return cert, err
}

// AttestationRoots returns a pool holding AttestationRoot, ready for
// piv.Verifier{Roots: ...}.
func AttestationRoots() (*x509.CertPool, error) {
	cert, err := AttestationRoot()
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool, nil
}

func randomSerial() *big.Int {
	return new(big.Int).SetBytes(randomBytes(16))
}

// attestation is a card's attestation key (slot F9) and its certificate.
type attestation struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newAttestation(version [3]byte, serial uint32) (*attestation, error) {
	rootCert, rootKey, err := loadRoot()
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating attestation key: %w", err)
	}
	serialDER, err := asn1.Marshal(int64(serial))
	if err != nil {
		return nil, fmt.Errorf("encoding serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("Yubico PIV Attestation (bpkeys emulator %d, TEST ONLY)", serial)},
		NotBefore:             attNotBefore,
		NotAfter:              attNotAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign,
		ExtraExtensions: []pkix.Extension{
			{Id: extFirmware, Value: version[:]},
			{Id: extSerial, Value: serialDER},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, rootCert, &key.PublicKey, rootKey)
	if err != nil {
		return nil, fmt.Errorf("signing attestation certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing attestation certificate: %w", err)
	}
	return &attestation{key: key, cert: cert}, nil
}

// object returns the F9 certificate as the content of object 5FFF01.
func (a *attestation) object() []byte {
	out := tlv(nil, 0x70, a.cert.Raw)
	out = tlv(out, 0x71, []byte{0x00})
	return tlv(out, 0xfe)
}

// attest implements Yubico's ATTEST (INS F9, P1 slot): an X.509 certificate
// for the slot's public key signed by the attestation key. Empty slots and
// imported keys get 6A80, as on a YubiKey.
func (c *Card) attest(slot byte) ([]byte, uint16) {
	k := c.keys[slot]
	if !keySlot(slot) || k == nil || k.imported {
		return nil, swWrongData
	}
	serialDER, err := asn1.Marshal(int64(c.serial))
	if err != nil {
		return nil, swConditionsOfUse
	}
	tmpl := &x509.Certificate{
		SerialNumber: randomSerial(),
		Subject:      pkix.Name{CommonName: fmt.Sprintf("YubiKey PIV Attestation %02x", slot)},
		NotBefore:    attNotBefore,
		NotAfter:     attNotAfter,
		ExtraExtensions: []pkix.Extension{
			{Id: extFirmware, Value: c.profile.Version[:]},
			{Id: extSerial, Value: serialDER},
			{Id: extPolicy, Value: []byte{k.pinPolicy, k.touchPolicy}},
			{Id: extFormFactor, Value: []byte{c.formFactor}},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.att.cert, &k.priv.PublicKey, c.att.key)
	if err != nil {
		return nil, swConditionsOfUse
	}
	return der, swOK
}
