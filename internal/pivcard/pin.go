package pivcard

import (
	"bytes"
	"crypto/subtle"
)

const (
	refPIN = 0x80
	refPUK = 0x81
)

// padPIN pads a PIN or PUK to 8 bytes with 0xFF, as clients send it.
func padPIN(p []byte) []byte {
	out := bytes.Repeat([]byte{0xff}, 8)
	copy(out, p)
	return out
}

// validNewPIN reports whether a padded PIN/PUK is 6 to 8 bytes long with
// padding only at the end, the YubiKey's rule for new values.
func validNewPIN(p []byte) bool {
	n := bytes.IndexByte(p, 0xff)
	if n < 0 {
		n = len(p)
	}
	return n >= 6 && bytes.Count(p[n:], []byte{0xff}) == len(p)-n
}

func retriesSW(left int) uint16 {
	return 0x63c0 | uint16(min(left, 15))
}

// verify implements VERIFY for the PIN: with data it checks the PIN, without
// it reports 9000 when verified or 63Cx with the retries left, and P1=FF
// resets the verification status.
func (c *Card) verify(p1, p2 byte, data []byte) uint16 {
	if p2 != refPIN {
		return swRefNotFound
	}
	if p1 == 0xff && len(data) == 0 {
		c.pinVerified, c.pinFresh = false, false
		return swOK
	}
	if c.pinLeft == 0 {
		return swBlocked
	}
	if len(data) == 0 {
		if c.pinVerified {
			return swOK
		}
		return retriesSW(c.pinLeft)
	}
	if len(data) != 8 {
		return swWrongData
	}
	if subtle.ConstantTimeCompare(data, c.pin) != 1 {
		c.pinLeft--
		c.pinVerified, c.pinFresh = false, false
		return retriesSW(c.pinLeft)
	}
	c.pinLeft = c.pinMax
	c.pinVerified, c.pinFresh = true, true
	return swOK
}

// changeReference implements CHANGE REFERENCE DATA for the PIN (P2 80) and
// the PUK (P2 81): old value followed by the new one, 8 bytes each.
func (c *Card) changeReference(p2 byte, data []byte) uint16 {
	var cur *[]byte
	var left *int
	var limit int
	var isDefault *bool
	switch p2 {
	case refPIN:
		cur, left, limit, isDefault = &c.pin, &c.pinLeft, c.pinMax, &c.pinDefault
	case refPUK:
		cur, left, limit, isDefault = &c.puk, &c.pukLeft, c.pukMax, &c.pukDefault
	default:
		return swRefNotFound
	}
	if *left == 0 {
		return swBlocked
	}
	if len(data) != 16 {
		return swWrongData
	}
	if subtle.ConstantTimeCompare(data[:8], *cur) != 1 {
		*left--
		if p2 == refPIN {
			c.pinVerified, c.pinFresh = false, false
		}
		return retriesSW(*left)
	}
	if !validNewPIN(data[8:]) {
		return swWrongData
	}
	*cur, *left, *isDefault = bytes.Clone(data[8:]), limit, false
	return swOK
}

// resetRetry implements RESET RETRY COUNTER: the PUK unblocks the PIN and sets
// a new one.
func (c *Card) resetRetry(p2 byte, data []byte) uint16 {
	if p2 != refPIN {
		return swRefNotFound
	}
	if c.pukLeft == 0 {
		return swBlocked
	}
	if len(data) != 16 {
		return swWrongData
	}
	if subtle.ConstantTimeCompare(data[:8], c.puk) != 1 {
		c.pukLeft--
		return retriesSW(c.pukLeft)
	}
	if !validNewPIN(data[8:]) {
		return swWrongData
	}
	c.pukLeft = c.pukMax
	c.pin, c.pinLeft, c.pinDefault = bytes.Clone(data[8:]), c.pinMax, false
	return swOK
}

// setRetries implements Yubico's SET PIN RETRIES: it needs the management key
// and the PIN, and resets PIN and PUK to their defaults.
func (c *Card) setRetries(p1, p2 byte) uint16 {
	if !c.mgmtAuthed || !c.pinVerified {
		return swSecurityStatus
	}
	if p1 == 0 || p2 == 0 {
		return swWrongP1P2
	}
	c.pinMax, c.pukMax, c.pinLeft, c.pukLeft = int(p1), int(p2), int(p1), int(p2)
	c.pin, c.puk = padPIN([]byte(DefaultPIN)), padPIN([]byte(DefaultPUK))
	c.pinDefault, c.pukDefault = true, true
	return swOK
}
