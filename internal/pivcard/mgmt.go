package pivcard

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
)

// mgmtKeyLen gives the key length of each management-key algorithm.
var mgmtKeyLen = map[byte]int{Alg3DES: 24, AlgAES128: 16, AlgAES192: 24, AlgAES256: 32}

func mgmtCipher(alg byte, key []byte) (cipher.Block, error) {
	if alg == Alg3DES {
		return des.NewTripleDESCipher(key)
	}
	return aes.NewCipher(key)
}

// authenticateManagement implements the witness-and-challenge mutual
// authentication with the management key (GENERAL AUTHENTICATE, P2 9B):
//
//	7C 02 80 00             -> 7C len 80 n E_K(witness)
//	7C len 80 n W 81 n C    -> 7C len 82 n E_K(C), if W is the witness
func (c *Card) authenticateManagement(alg byte, data []byte) ([]byte, uint16) {
	if alg != c.mgmtAlg {
		return nil, swWrongData
	}
	outer, ok := parseTLVs(data)
	if !ok || outer[0x7c] == nil {
		return nil, swWrongData
	}
	t, ok := parseTLVs(outer[0x7c])
	if !ok {
		return nil, swWrongData
	}
	block, err := mgmtCipher(c.mgmtAlg, c.mgmtKey)
	if err != nil {
		return nil, swConditionsOfUse
	}
	n := block.BlockSize()
	witness, hasWitness := t[0x80]
	challenge, hasChallenge := t[0x81]
	switch {
	case hasWitness && len(witness) == 0 && !hasChallenge:
		c.mgmtAuthed = false
		c.witness = randomBytes(n)
		enc := make([]byte, n)
		block.Encrypt(enc, c.witness)
		return tlv(nil, 0x7c, tlv(nil, 0x80, enc)), swOK
	case len(witness) == n && len(challenge) == n:
		expected := c.witness
		c.witness = nil
		if expected == nil || subtle.ConstantTimeCompare(witness, expected) != 1 {
			return nil, swSecurityStatus
		}
		if c.mgmtTouch && c.faults.noTouch {
			return nil, swSecurityStatus
		}
		enc := make([]byte, n)
		block.Encrypt(enc, challenge)
		c.mgmtAuthed = true
		return tlv(nil, 0x7c, tlv(nil, 0x82, enc)), swOK
	}
	return nil, swWrongData
}

// setManagementKey implements Yubico's SET MANAGEMENT KEY: P1 FF, P2 FF (no
// touch) or FE (touch), data alg 9B len key.
func (c *Card) setManagementKey(p1, p2 byte, data []byte) uint16 {
	if !c.mgmtAuthed {
		return swSecurityStatus
	}
	if p1 != 0xff || (p2 != 0xff && p2 != 0xfe) {
		return swWrongP1P2
	}
	if len(data) < 3 || data[1] != 0x9b || int(data[2]) != len(data)-3 {
		return swWrongData
	}
	alg, key := data[0], data[3:]
	if want, ok := mgmtKeyLen[alg]; !ok || want != len(key) {
		return swWrongData
	}
	if alg != Alg3DES && c.profile.Version[0] == 5 && c.profile.Version[1] < 4 {
		return swWrongData // AES management keys arrived with 5.4
	}
	c.mgmtAlg, c.mgmtKey, c.mgmtTouch = alg, bytes.Clone(key), p2 == 0xfe
	c.mgmtIsDefault = bytes.Equal(key, DefaultManagementKey)
	return swOK
}
