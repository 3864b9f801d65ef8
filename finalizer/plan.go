package finalizer

import (
	"errors"
	"fmt"
	"strings"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/bls"
)

// Refusals of the local checks, made before anything is signed. Match
// with errors.Is.
var (
	ErrNotProducer   = errors.New("not a registered producer: the system contract accepts finalizer keys from registered producers only (register with regproducer first)")
	ErrBadProof      = errors.New("the proof of possession does not verify against this key: nothing was signed and nothing was sent; check that --pop is the proof printed with this very key by spring-util bls create key")
	ErrKeyTaken      = errors.New("finalizer key already registered")
	ErrNotOwnKey     = errors.New("finalizer key not registered by this account")
	ErrAlreadyActive = errors.New("finalizer key already active")
	ErrDeleteActive  = errors.New("cannot delete the active finalizer key while other keys are registered")
	ErrSamePeerKey   = errors.New("that peer key is already registered")
)

// Perm is the permission level that authorizes the actions (account@perm).
func auth(account, perm string) []eos.PermissionLevel {
	return []eos.PermissionLevel{{Actor: eos.AccountName(account), Permission: eos.PermissionName(perm)}}
}

func action(name string, authz []eos.PermissionLevel, data any) *eos.Action {
	return &eos.Action{Account: contracts.System, Name: eos.ActionName(name), Authorization: authz, ActionData: eos.NewActionData(data)}
}

// Register checks a regfinkey locally (the proof verifies, the account is a
// producer, nobody registered the key) and returns the action.
func (s *Status) Register(perm, key, pop string) (*eos.Action, error) {
	k, err := bls.ParsePublicKey(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	p, err := bls.ParseSignature(strings.TrimSpace(pop))
	if err != nil {
		return nil, fmt.Errorf("--pop: %w", err)
	}
	if err := bls.VerifyPossession(k, p); err != nil {
		return nil, fmt.Errorf("%w (%v)", ErrBadProof, err)
	}
	if !s.Producer {
		return nil, fmt.Errorf("%s: %w", s.Account, ErrNotProducer)
	}
	if owner, ok := s.Owner(k); ok {
		if owner == s.Account {
			return nil, fmt.Errorf("%w: %s registered it already (nothing to do)", ErrKeyTaken, owner)
		}
		return nil, fmt.Errorf("%w by %s: a finalizer key can be registered once on the whole chain; make a new key with spring-util bls create key", ErrKeyTaken, owner)
	}
	return action("regfinkey", auth(s.Account, perm), contracts.RegFinKey{FinalizerName: eos.AccountName(s.Account), FinalizerKey: k.String(), ProofOfPossession: p.String()}), nil
}

// own finds key among the account's registered keys.
func (s *Status) own(key string) (Key, error) {
	k, err := bls.ParsePublicKey(strings.TrimSpace(key))
	if err != nil {
		return Key{}, fmt.Errorf("--key: %w", err)
	}
	for _, r := range s.Keys {
		if r.Key.Equal(k) {
			return r, nil
		}
	}
	if owner, ok := s.Owner(k); ok {
		return Key{}, fmt.Errorf("%w: %s registered it, not %s", ErrNotOwnKey, owner, s.Account)
	}
	return Key{}, fmt.Errorf("%w: nobody registered %s; register it first (bpkeys finalizer register)", ErrNotOwnKey, k)
}

// Activate checks an actfinkey locally and returns the action.
func (s *Status) Activate(perm, key string) (*eos.Action, error) {
	k, err := s.own(key)
	if err != nil {
		return nil, err
	}
	if k.Active {
		return nil, fmt.Errorf("%w: %s is %s's active key (nothing to do)", ErrAlreadyActive, k.Key, s.Account)
	}
	return action("actfinkey", auth(s.Account, perm), contracts.ActFinKey{FinalizerName: eos.AccountName(s.Account), FinalizerKey: k.Key.String()}), nil
}

// Delete checks a delfinkey locally and returns the action.
func (s *Status) Delete(perm, key string) (*eos.Action, error) {
	k, err := s.own(key)
	if err != nil {
		return nil, err
	}
	if k.Active && len(s.Keys) > 1 {
		var others []string
		for _, o := range s.Keys {
			if !o.Active {
				others = append(others, o.Key.String())
			}
		}
		return nil, fmt.Errorf("%w (%d registered): first activate another key (bpkeys finalizer activate %s --key %s), check that its host votes, then delete this one", ErrDeleteActive, len(s.Keys), s.Account, others[0])
	}
	return action("delfinkey", auth(s.Account, perm), contracts.DelFinKey{FinalizerName: eos.AccountName(s.Account), FinalizerKey: k.Key.String()}), nil
}

// SetPeerKey returns regpeerkey for key, refusing the key already there
// (current is the registered key, or nil).
func SetPeerKey(account, perm string, key signer.PublicKey, current *signer.PublicKey) (*eos.Action, error) {
	if current != nil && *current == key {
		return nil, fmt.Errorf("%w for %s (nothing to do)", ErrSamePeerKey, account)
	}
	return action("regpeerkey", auth(account, perm), contracts.RegPeerKey{ProposerFinalizerName: eos.AccountName(account), Key: key.ECC()}), nil
}

// DeletePeerKey returns delpeerkey of the registered key.
func DeletePeerKey(account, perm string, current signer.PublicKey) *eos.Action {
	return action("delpeerkey", auth(account, perm), contracts.DelPeerKey{ProposerFinalizerName: eos.AccountName(account), Key: current.ECC()})
}
