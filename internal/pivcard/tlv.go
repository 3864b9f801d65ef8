package pivcard

// tlv appends a BER-TLV with a one-byte tag and a definite length to dst.
func tlv(dst []byte, tag byte, value ...[]byte) []byte {
	n := 0
	for _, v := range value {
		n += len(v)
	}
	dst = append(dst, tag)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	default:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	}
	for _, v := range value {
		dst = append(dst, v...)
	}
	return dst
}

// parseTLVs splits data into one-byte-tag TLVs (multi-byte tags such as 7F49
// and 5FC1xx are returned with their first byte as tag and the rest as the
// start of the value, which no caller needs). ok is false on malformed input.
func parseTLVs(data []byte) (m map[byte][]byte, ok bool) {
	m = make(map[byte][]byte)
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, false
		}
		tag, n, hdr := data[0], int(data[1]), 2
		switch data[1] {
		case 0x81:
			if len(data) < 3 {
				return nil, false
			}
			n, hdr = int(data[2]), 3
		case 0x82:
			if len(data) < 4 {
				return nil, false
			}
			n, hdr = int(data[2])<<8|int(data[3]), 4
		default:
			if data[1] >= 0x80 {
				return nil, false
			}
		}
		if len(data) < hdr+n {
			return nil, false
		}
		m[tag] = data[hdr : hdr+n]
		data = data[hdr+n:]
	}
	return m, true
}
