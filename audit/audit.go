package audit

import (
	"context"
	"crypto/sha256"
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

// SignTransaction journals one entry per required key, then signs tx with
// exactly those keys (signer.SignTransaction). If the journal cannot be
// written nothing is signed. note says what the signature is for.
func SignTransaction(ctx context.Context, j *Journal, note string, tx *eos.SignedTransaction, chainID signer.ChainID, required []signer.PublicKey, signers []signer.Signer) error {
	if j == nil {
		return errors.New("no signing journal: refusing to sign without recording it")
	}
	packed, cfd, err := tx.PackedTransactionAndCFD()
	if err != nil {
		return fmt.Errorf("packing the transaction: %w", err)
	}
	digest := signer.Digest(chainID, packed, cfd)
	id := sha256.Sum256(packed)
	byKey := map[signer.PublicKey]signer.Signer{}
	for _, s := range signers {
		byKey[s.PublicKey()] = s
	}
	aps, err := Approvals(tx.Transaction)
	if err != nil {
		return fmt.Errorf("%w (nothing was signed)", err)
	}
	seen := map[signer.PublicKey]bool{}
	for _, k := range required {
		if seen[k] {
			continue
		}
		seen[k] = true
		device := "no signer present"
		if s, ok := byKey[k]; ok {
			device = signer.Describe(s)
		}
		if err := j.Append(Entry{
			ChainID: chainID.String(), Digest: hex.EncodeToString(digest[:]), TrxID: hex.EncodeToString(id[:]),
			Actions: Summarize(tx.Transaction), Approvals: aps, Key: k.String(), Device: device, Note: note,
		}); err != nil {
			return fmt.Errorf("%w (nothing was signed)", err)
		}
	}
	return signer.SignTransaction(ctx, tx, chainID, required, signers)
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
