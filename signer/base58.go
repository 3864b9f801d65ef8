package signer

import (
	"errors"
	"math/big"

	//lint:ignore SA1019 EOSIO's key and signature strings are defined with RIPEMD-160 checksums.
	"golang.org/x/crypto/ripemd160"
)

const b58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var b58Index = func() (idx [256]int8) {
	for i := range idx {
		idx[i] = -1
	}
	for i := 0; i < len(b58Alphabet); i++ {
		idx[b58Alphabet[i]] = int8(i)
	}
	return idx
}()

var errBase58 = errors.New("not valid base58")

// b58Encode encodes b in Bitcoin's base58 alphabet, keeping leading zeros as '1'.
func b58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	out := make([]byte, 0, len(b)*138/100+1)
	base, mod := big.NewInt(58), new(big.Int)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, b58Alphabet[mod.Int64()])
	}
	for i := 0; i < zeros; i++ {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

// b58Decode decodes s; maxLen bounds the output so hostile input cannot make it
// allocate or compute without limit.
func b58Decode(s string, maxLen int) ([]byte, error) {
	if len(s) == 0 || len(s) > maxLen*2 {
		return nil, errBase58
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	n := new(big.Int)
	base := big.NewInt(58)
	for i := 0; i < len(s); i++ {
		v := b58Index[s[i]]
		if v < 0 {
			return nil, errBase58
		}
		n.Mul(n, base)
		n.Add(n, big.NewInt(int64(v)))
	}
	body := n.Bytes()
	out := make([]byte, zeros+len(body))
	copy(out[zeros:], body)
	if len(out) > maxLen {
		return nil, errBase58
	}
	return out, nil
}

// ripemdChecksum returns the first 4 bytes of ripemd160(data || suffix), the
// checksum of EOSIO key and signature strings (suffix "K1", "R1" or none for
// legacy EOS... keys).
func ripemdChecksum(data []byte, suffix string) []byte {
	h := ripemd160.New()
	h.Write(data)
	h.Write([]byte(suffix))
	return h.Sum(nil)[:4]
}
