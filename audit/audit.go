package audit

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/signer"
)

// Summarize lists a transaction's actions as "contract::action actor@perm".
func Summarize(tx *eos.Transaction) []string {
	var out []string
	for _, a := range tx.Actions {
		s := string(a.Account) + "::" + string(a.Name)
		for _, l := range a.Authorization {
			s += " " + string(l.Actor) + "@" + string(l.Permission)
		}
		out = append(out, s)
	}
	return out
}

// SignDigest journals and signs a bare digest with one signer.
func SignDigest(ctx context.Context, j *Journal, note string, chainID string, s signer.Signer, digest [32]byte) (signer.Signature, error) {
	if j == nil {
		return signer.Signature{}, errors.New("no signing journal: refusing to sign without recording it")
	}
	if err := j.Append(Entry{ChainID: chainID, Digest: hex.EncodeToString(digest[:]), Key: s.PublicKey().String(), Device: signer.Describe(s), Note: note}); err != nil {
		return signer.Signature{}, fmt.Errorf("%w (nothing was signed)", err)
	}
	sig, err := s.Sign(ctx, digest)
	if err != nil {
		return sig, err
	}
	if err := sig.Verify(digest[:], s.PublicKey()); err != nil {
		return signer.Signature{}, err
	}
	return sig, nil
}
