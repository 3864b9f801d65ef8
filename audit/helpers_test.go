package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/audit"
	"github.com/bpkeys/bpkeys/signer"
)

// signTransaction journals one entry per required key, then signs tx with
// exactly those keys, as the signing gate (package txflow) does; the tests
// here make journals with it. If the journal cannot be
// written nothing is signed. note says what the signature is for.
func signTransaction(ctx context.Context, j *audit.Journal, note string, tx *eos.SignedTransaction, chainID signer.ChainID, required []signer.PublicKey, signers []signer.Signer) error {
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
	aps, err := audit.Approvals(tx.Transaction)
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
		if err := j.Append(audit.Entry{
			ChainID: chainID.String(), Digest: hex.EncodeToString(digest[:]), TrxID: hex.EncodeToString(id[:]),
			Actions: audit.Summarize(tx.Transaction), Approvals: aps, Key: k.String(), Device: device, Note: note,
		}); err != nil {
			return fmt.Errorf("%w (nothing was signed)", err)
		}
	}
	return signer.SignTransaction(ctx, tx, chainID, required, signers)
}
