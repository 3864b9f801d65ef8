package pivcard

const objAttestation = 0x5fff01

// pinProtected lists objects that GET DATA returns only after VERIFY: the
// fingerprints, facial image and printed information objects, the last of
// which YubiKey tools use for the PIN-protected management key.
var pinProtected = map[uint32]bool{0x5fc103: true, 0x5fc108: true, 0x5fc109: true}

// objectTag parses the tag list 5C 03 xx xx xx of GET/PUT DATA and checks it
// names a PIV object (5FC101..5FC123) or a Yubico object (5FFF00..5FFF15).
func objectTag(data []byte) (tag uint32, rest []byte, ok bool) {
	if len(data) < 5 || data[0] != 0x5c || data[1] != 0x03 {
		return 0, nil, false
	}
	tag = uint32(data[2])<<16 | uint32(data[3])<<8 | uint32(data[4])
	valid := (tag >= 0x5fc101 && tag <= 0x5fc123) || (tag >= 0x5fff00 && tag <= 0x5fff15)
	return tag, data[5:], valid
}

// getData implements GET DATA (P1P2 3FFF): the answer is 53 len value.
func (c *Card) getData(p1, p2 byte, data []byte) ([]byte, uint16) {
	if p1 != 0x3f || p2 != 0xff {
		return nil, swWrongP1P2
	}
	tag, _, ok := objectTag(data)
	if !ok {
		return nil, swFileNotFound
	}
	v, has := c.objects[tag]
	if !has {
		return nil, swFileNotFound
	}
	if pinProtected[tag] && !c.pinVerified {
		return nil, swSecurityStatus
	}
	return tlv(nil, 0x53, v), swOK
}

// putData implements PUT DATA (P1P2 3FFF): data 5C 03 tag 53 len value. It
// needs the management key; an empty value deletes the object.
func (c *Card) putData(p1, p2 byte, data []byte) uint16 {
	if !c.mgmtAuthed {
		return swSecurityStatus
	}
	if p1 != 0x3f || p2 != 0xff {
		return swWrongP1P2
	}
	tag, rest, ok := objectTag(data)
	if !ok || len(rest) < 2 || rest[0] != 0x53 {
		return swWrongData
	}
	t, ok := parseTLVs(rest)
	if !ok || len(t) != 1 {
		return swWrongData
	}
	if len(t[0x53]) == 0 {
		delete(c.objects, tag)
		return swOK
	}
	c.objects[tag] = append([]byte(nil), t[0x53]...)
	return swOK
}
