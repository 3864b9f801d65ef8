package pivcard

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
)

// PIN and touch policy bytes (Yubico extensions to NIST SP 800-73-4).
const (
	pinPolicyDefault     = 0x00
	pinPolicyNever       = 0x01
	pinPolicyOnce        = 0x02
	pinPolicyAlways      = 0x03
	pinPolicyMatchAlways = 0x05
	touchPolicyDefault   = 0x00
	touchPolicyNever     = 0x01
	touchPolicyAlways    = 0x02
	touchPolicyCached    = 0x03
)

// keySlot reports whether s is a slot that holds a user key: 9A, 9C, 9D, 9E
// and the retired key-management slots 82..95.
func keySlot(s byte) bool {
	return s == 0x9a || s == 0x9c || s == 0x9d || s == 0x9e || (s >= 0x82 && s <= 0x95)
}

// defaultPINPolicy is the policy a YubiKey applies when GENERATE or IMPORT
// does not name one: PIN always for the signature slot, never for card
// authentication, once elsewhere.
func defaultPINPolicy(slot byte) byte {
	switch slot {
	case 0x9c:
		return pinPolicyAlways
	case 0x9e:
		return pinPolicyNever
	}
	return pinPolicyOnce
}

func curveOf(alg byte) elliptic.Curve {
	switch alg {
	case AlgECCP256:
		return elliptic.P256()
	case AlgECCP384:
		return elliptic.P384()
	}
	return nil
}

// policies reads the optional AA (PIN) and AB (touch) policy TLVs.
func policies(slot byte, t map[byte][]byte) (pp, tp byte, ok bool) {
	pp, tp = defaultPINPolicy(slot), touchPolicyNever
	if v, has := t[0xaa]; has {
		if len(v) != 1 || v[0] > pinPolicyMatchAlways {
			return 0, 0, false
		}
		if v[0] != pinPolicyDefault {
			pp = v[0]
		}
	}
	if v, has := t[0xab]; has {
		if len(v) != 1 || v[0] > touchPolicyCached {
			return 0, 0, false
		}
		if v[0] != touchPolicyDefault {
			tp = v[0]
		}
	}
	return pp, tp, true
}

// generate implements GENERATE ASYMMETRIC KEY PAIR for P-256 and P-384:
// data AC len {80 01 alg [AA 01 pin-policy] [AB 01 touch-policy]}.
func (c *Card) generate(p1, slot byte, data []byte) ([]byte, uint16) {
	if !c.mgmtAuthed {
		return nil, swSecurityStatus
	}
	if p1 != 0 || !keySlot(slot) {
		return nil, swWrongP1P2
	}
	outer, ok := parseTLVs(data)
	if !ok || outer[0xac] == nil {
		return nil, swWrongData
	}
	t, ok := parseTLVs(outer[0xac])
	if !ok || len(t[0x80]) != 1 {
		return nil, swWrongData
	}
	alg := t[0x80][0]
	curve := curveOf(alg)
	pp, tp, ok := policies(slot, t)
	if curve == nil || !ok {
		return nil, swWrongData // RSA and 25519 keys are not emulated
	}
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, swConditionsOfUse
	}
	k := &slotKey{alg: alg, pinPolicy: pp, touchPolicy: tp, priv: priv}
	c.keys[slot] = k
	return c.publicTemplate(k), swOK
}

// publicTemplate returns 7F49 len {86 len 04||X||Y}.
func (c *Card) publicTemplate(k *slotKey) []byte {
	point := pointBytes(&k.priv.PublicKey)
	return append([]byte{0x7f}, tlv(nil, 0x49, tlv(nil, 0x86, point))...)
}

func pointBytes(pub *ecdsa.PublicKey) []byte {
	b, err := pub.Bytes()
	if err != nil { // only for invalid keys, which the card never holds
		return nil
	}
	return b
}

// importKey implements Yubico's IMPORT ASYMMETRIC KEY for EC keys: P1 alg, P2
// slot, data 06 len scalar [AA 01 pp] [AB 01 tp]. Imported keys are marked so
// that ATTEST refuses them and GET METADATA reports origin "imported".
func (c *Card) importKey(alg, slot byte, data []byte) uint16 {
	if !c.mgmtAuthed {
		return swSecurityStatus
	}
	curve := curveOf(alg)
	if curve == nil || !keySlot(slot) {
		return swWrongP1P2
	}
	t, ok := parseTLVs(data)
	if !ok {
		return swWrongData
	}
	pp, tp, ok := policies(slot, t)
	if !ok {
		return swWrongData
	}
	priv, err := ecdsa.ParseRawPrivateKey(curve, t[0x06])
	if err != nil {
		return swWrongData
	}
	c.keys[slot] = &slotKey{alg: alg, pinPolicy: pp, touchPolicy: tp, imported: true, priv: priv}
	return swOK
}

// privateKeyOperation implements GENERAL AUTHENTICATE with a slot key:
// 7C {82 00, 81 digest} signs (ECDSA, DER answer) and 7C {82 00, 85 point}
// computes an ECDH shared secret. PIN policy "once" (and the match policies,
// which the emulator treats as once) needs a verified PIN in this session;
// "always" needs a VERIFY that no other private-key operation has used yet.
// When the key has a touch policy and a touch timeout is injected, the card
// answers 6982 as a YubiKey does when nobody touches it within 15 s.
func (c *Card) privateKeyOperation(alg, slot byte, data []byte) ([]byte, uint16) {
	k := c.keys[slot]
	if !keySlot(slot) || k == nil || k.alg != alg {
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
	if r, has := t[0x82]; !has || len(r) != 0 {
		return nil, swWrongData
	}
	digest, sign := t[0x81]
	peer, ecdh := t[0x85]
	if sign == ecdh {
		return nil, swWrongData
	}
	switch k.pinPolicy {
	case pinPolicyNever:
	case pinPolicyAlways:
		if !c.pinFresh {
			return nil, swSecurityStatus
		}
	default:
		if !c.pinVerified {
			return nil, swSecurityStatus
		}
	}
	if k.touchPolicy != touchPolicyNever && c.faults.noTouch {
		return nil, swSecurityStatus
	}
	c.pinFresh = false
	size := (k.priv.Curve.Params().BitSize + 7) / 8
	if sign {
		if len(digest) == 0 || len(digest) > size {
			return nil, swWrongData
		}
		sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest)
		if err != nil {
			return nil, swConditionsOfUse
		}
		return tlv(nil, 0x7c, tlv(nil, 0x82, sig)), swOK
	}
	priv, err := k.priv.ECDH()
	if err != nil {
		return nil, swWrongData
	}
	pub, err := priv.Curve().NewPublicKey(peer)
	if err != nil {
		return nil, swWrongData
	}
	secret, err := priv.ECDH(pub)
	if err != nil {
		return nil, swWrongData
	}
	return tlv(nil, 0x7c, tlv(nil, 0x82, secret)), swOK
}

// metadata implements Yubico's GET METADATA (firmware 5.3+) for key slots,
// the management key (9B), the PIN (80) and the PUK (81).
func (c *Card) metadata(slot byte) ([]byte, uint16) {
	flag := func(b bool) byte {
		if b {
			return 1
		}
		return 0
	}
	switch slot {
	case 0x9b:
		touch := byte(touchPolicyNever)
		if c.mgmtTouch {
			touch = touchPolicyAlways
		}
		out := tlv(nil, 0x01, []byte{c.mgmtAlg})
		out = tlv(out, 0x02, []byte{0x00, touch})
		return tlv(out, 0x05, []byte{flag(c.mgmtIsDefault)}), swOK
	case refPIN, refPUK:
		isDefault, limit, left := c.pinDefault, c.pinMax, c.pinLeft
		if slot == refPUK {
			isDefault, limit, left = c.pukDefault, c.pukMax, c.pukLeft
		}
		out := tlv(nil, 0x01, []byte{0xff})
		out = tlv(out, 0x05, []byte{flag(isDefault)})
		return tlv(out, 0x06, []byte{byte(limit), byte(left)}), swOK
	}
	k := c.keys[slot]
	if k == nil {
		return nil, swRefNotFound
	}
	origin := byte(0x01)
	if k.imported {
		origin = 0x02
	}
	out := tlv(nil, 0x01, []byte{k.alg})
	out = tlv(out, 0x02, []byte{k.pinPolicy, k.touchPolicy})
	out = tlv(out, 0x03, []byte{origin})
	return tlv(out, 0x04, tlv(nil, 0x86, pointBytes(&k.priv.PublicKey))), swOK
}
