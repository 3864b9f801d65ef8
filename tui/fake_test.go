package tui

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestMain pins the colour profile so that golden files are plain text
// whatever the terminal running the tests.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// fakeBackend is a fixed-data stand-in for rendering and navigation tests
// only: it computes nothing (its plans and verdicts are written out by
// hand). The real flows (plans, approvals, signatures) are tested against
// the devchain through cmd/bpkeys' adapter.
type fakeBackend struct {
	mu        sync.Mutex
	approved  bool // bob approved alice/rotkey
	executed  bool // alice/rotkey was executed: it is no longer on chain
	proposed  bool // the rotation planned is already proposed (alice/rotkey)
	signCalls int
	pins      [][]string
	// signStarted receives when Sign is called; signGate, when set, holds
	// Sign until the test closes it.
	signStarted chan struct{}
	signGate    chan struct{}
	signErr     error
}

var _ Backend = (*fakeBackend)(nil)

const (
	keyAlice  = "PUB_R1_6FPFZqw5ahYrR9jD96yDbbDNTdKtNqRbze6oTDLntrsANgQKZu"
	keyBob    = "PUB_R1_7Sx3kR9wL6mYp2Nq8Uv4ZtHcBd5GfJ1aXe3WoKsPyQnTrMuVb"
	keyCarol  = "PUB_R1_5Kd8Lm3Qw9ErTy6Ui2Op4As7Df1Gh5Jk8Lz3Xc6Vb9Nm2QwEr"
	keyClaim  = "PUB_R1_8Hj2Kl5Mn8Bv1Cx4Za7Sd3Fg6Hj9Kl2Qw5Er8Ty1Ui4Op7AsD"
	keyRotate = "PUB_R1_6Tg4Yh7Uj1Ik3Ol5Pm8Nb2Vc4Xz6As9Dq1We3Rt5Yu7Io9PkL"
	keySpare  = "PUB_R1_5Zx8Cv1Bn4Mq7We2Rt5Yu8Io1Pa4Sd7Fg2Hj5Kl8Zx3Cv6BnM"
	keyProd   = "PUB_K1_7tgwU6E7pAUQJgqEJt66Yi6cWRaaW5xDzb8XxGVwNUqfgX9qhE"
	chainID   = "8a34ec7df1b8cd06ff4a8abbaa7cc50300823350cadc59ab296cb00d104d2b8f"
)

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (f *fakeBackend) Overview(context.Context) (*Overview, error) {
	return &Overview{
		ChainID: chainID,
		Endpoints: []Endpoint{
			{URL: "http://127.0.0.1:8888", Answers: true, InUse: true, HeadBlock: 1234, HeadAge: 400 * time.Millisecond, ServerVersion: "devchain"},
			{URL: "https://eos.backup.example", Error: "unreachable: dial tcp: connection refused"},
		},
		Accounts: []AccountRow{
			{Name: "bpkeysdemo11", Source: "demo", Producer: "active producer", Warnings: 1},
			{Name: "alice", Source: "team file", Producer: "not a producer"},
			{Name: "bob", Source: "team file", Producer: "not a producer"},
			{Name: "carol", Source: "team file", Producer: "not a producer"},
		},
	}, nil
}

func teamLevels() []LevelNode {
	return []LevelNode{{"alice@active", 1}, {"bob@active", 1}, {"carol@active", 1}}
}

func (f *fakeBackend) Tree(_ context.Context, account string) (*TreeView, error) {
	if account != "bpkeysdemo11" {
		return &TreeView{Account: account, Perms: []PermNode{
			{Name: "owner", Threshold: 1, Keys: []KeyNode{{Key: keyAlice, Weight: 1, Holder: account, Device: "YubiKey 12345678 slot 9c", Hardware: true}}},
			{Name: "active", Parent: "owner", Depth: 1, Threshold: 1, Keys: []KeyNode{{Key: keyAlice, Weight: 1, Holder: account, Device: "YubiKey 12345678 slot 9c", Hardware: true}}},
		}}, nil
	}
	return &TreeView{
		Account: account,
		Perms: []PermNode{
			{Name: "owner", Threshold: 2, Accounts: teamLevels()},
			{Name: "active", Parent: "owner", Depth: 1, Threshold: 2, Accounts: teamLevels()},
			{Name: "claim", Parent: "active", Depth: 2, Threshold: 1, Links: []string{"eosio::claimrewards", "eosio.bpay::claimrewards"},
				Keys: []KeyNode{{Key: keyClaim, Weight: 1, Holder: "ops", Device: "PKCS#11 bp-hsm claim", Connected: true, Hardware: true}}},
			{Name: "rotate", Parent: "active", Depth: 2, Threshold: 1, Links: []string{"eosio::regproducer", "eosio::regproducer2", "eosio::unregprod"},
				Keys: []KeyNode{{Key: keyRotate, Weight: 1, Holder: "bob", Device: "YubiKey 12345678 slot 9d", Connected: true, Hardware: true}}},
		},
		Findings: []Finding{
			{Severity: SeverityWarning, Rule: "single-device", Permission: "rotate", Message: "one key on one device: if it is lost, only active can rotate the signing key"},
		},
	}, nil
}

func (f *fakeBackend) Devices(context.Context) (*DevicesView, error) {
	return &DevicesView{
		Devices: []DeviceView{
			{Scheme: "yubikey", Name: "YubiKey 5 NFC", Serial: "12345678", Firmware: "5.7.1", PINRetries: "3", Keys: []DeviceKey{
				{Ref: "yubikey:serial=12345678;slot=9c", Label: "9c", PublicKey: keyBob, Attestation: "verified (Yubico root)", Holder: "bob", UsedIn: []string{"bob@owner", "bob@active"}, PINPolicy: "once", TouchPolicy: "always"},
				{Ref: "yubikey:serial=12345678;slot=9d", Label: "9d", PublicKey: keyRotate, Attestation: "verified (Yubico root)", Holder: "bob", UsedIn: []string{"bpkeysdemo11@rotate"}, PINPolicy: "once", TouchPolicy: "always"},
				{Ref: "yubikey:serial=12345678;slot=82", Label: "82", PublicKey: keySpare, Attestation: "none", Holder: "bob", PINPolicy: "once", TouchPolicy: "cached"},
			}},
			{Scheme: "pkcs11", Name: "bp-hsm", Serial: "0x3f1a", Keys: []DeviceKey{
				{Ref: "pkcs11:token=bp-hsm;object=claim", Label: "claim", PublicKey: keyClaim, Attestation: "unsupported", Holder: "ops", UsedIn: []string{"bpkeysdemo11@claim"}},
			}},
		},
		Errors: []string{"pcscd: a second reader did not answer (it was skipped)"},
	}, nil
}

func (f *fakeBackend) Plan(_ context.Context, req PlanRequest) (*PlanView, error) {
	v := &PlanView{Request: req, Direct: true, DirectWith: "active: 2 of alice, bob, carol are needed; propose instead"}
	switch req.Kind {
	case PlanRotate:
		v.Edits = []string{fmt.Sprintf("rotate %s -> %s", req.Key, req.NewKey)}
		v.Diff = []string{"~ " + req.Permission, "    - key " + req.Key + " weight 1  (bob's YubiKey 12345678 slot 9d)", "    + key " + req.NewKey + " weight 1  (bob's YubiKey 12345678 slot 82)"}
		v.Actions = []string{"updateauth " + req.Account + "@" + req.Permission + " (parent active), authorized by " + req.Account + "@active"}
		v.Direct = false
	case PlanRemoveKey:
		v.Edits = []string{fmt.Sprintf("remove key %s from %s", req.Key, req.Permission)}
		v.Diff = []string{"~ " + req.Permission, "    - key " + req.Key + " weight 1", "    ~ threshold 1 -> 1"}
		v.Findings = []Finding{{Severity: SeverityError, Rule: "lockout", Permission: req.Permission, Message: "no key or account would remain: threshold 1 can never be reached"}}
		v.Refused, v.RefusedReason = true, req.Permission+" would have no key and no account left: nobody could ever use it again (lockout)"
	case PlanThreshold:
		v.Diff = []string{"~ " + req.Permission, fmt.Sprintf("    ~ threshold 2 -> %d", req.Threshold)}
		if req.Threshold > 3 {
			v.Refused, v.RefusedReason = true, fmt.Sprintf("threshold %d is more than the weights of %s add up to (3): lockout", req.Threshold, req.Permission)
		}
	default:
		return nil, fmt.Errorf("the producer template: %w", ErrNotAvailable)
	}
	return v, nil
}

func (f *fakeBackend) Inbox(context.Context) (*InboxView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	approved := 1
	if f.approved {
		approved = 2
	}
	return &InboxView{Proposals: []ProposalRow{
		{Proposer: "alice", Name: "rotkey", Does: "eosio::regproducer bpkeysdemo11: new signing key PUB_K1_7tgw…qhE", Summary: "awaiting bob@active, carol@active", Approved: approved, Requested: 3, Expires: fixedTime.Add(72 * time.Hour), AwaitsYou: !f.approved, Executable: f.approved},
		{Proposer: "carol", Name: "claimperm", Does: "updateauth bpkeysdemo11@claim: add carol@active (and 1 more action)", Summary: "awaiting alice@active, bob@active", Approved: 0, Requested: 3, Expires: fixedTime.Add(24 * time.Hour), AwaitsYou: true},
	}}, nil
}

func (f *fakeBackend) Review(_ context.Context, proposer, name string) (*ReviewView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if proposer != "alice" || name != "rotkey" || f.executed {
		return nil, fmt.Errorf("%w: %s/%s: no such proposal", ErrProposalGone, proposer, name)
	}
	v := &ReviewView{
		Proposer: "alice", Name: "rotkey", Hash: "3b1f2e9d8c7a6b5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877",
		Expiration: fixedTime.Add(72 * time.Hour),
		Actions: []ActionView{{
			Text:          "eosio::regproducer: register bpkeysdemo11 with block-signing key " + keyProd + ", url https://bpkeys.example/demo, location 0",
			Authorization: []string{"bpkeysdemo11@active"},
		}},
		Levels: []ApprovalLevel{
			{Depth: 0, Level: "bpkeysdemo11@active", Threshold: 2, Have: 1, Requested: false},
			// as the chain reports them: a member's own authority is a key
			// (threshold 1, no weight an approval can give), and the
			// approval itself satisfies the level
			{Depth: 1, Level: "alice@active", Weight: 1, Threshold: 1, Satisfied: true, Approved: true, Requested: true},
			{Depth: 1, Level: "bob@active", Weight: 1, Threshold: 1, Requested: true},
			{Depth: 1, Level: "carol@active", Weight: 1, Threshold: 1, Requested: true},
		},
		Verdict:    Verdict{Reasons: []string{"bpkeysdemo11@active needs 1 more weight: bob@active or carol@active"}},
		CanApprove: true, ApproveAs: "bob@active",
	}
	if f.approved {
		v.Levels[0].Have, v.Levels[0].Satisfied = 2, true
		v.Levels[2].Satisfied, v.Levels[2].Approved = true, true
		v.Verdict = Verdict{Executable: true}
		v.CanApprove, v.CanUnapprove = false, true
	}
	return v, nil
}

func (f *fakeBackend) Producer(_ context.Context, account string) (*ProducerView, error) {
	return &ProducerView{
		Account: account, Registered: true, Active: true,
		SigningKeys: []string{keyProd + "  (ops: PKCS#11 bp-hsm producer)"}, Threshold: 1,
		URL: "https://bpkeys.example/demo", LastClaim: fixedTime.Add(-20 * time.Hour), NextClaim: fixedTime.Add(4 * time.Hour), HeadTime: fixedTime,
		RotatePerm: "rotate (linked)", UnregisterPerm: "rotate (linked)", ClaimPerm: "claim (linked)", UnpaidBlocks: 1720,
	}, nil
}

func (f *fakeBackend) PrepareSign(_ context.Context, req SignRequest) (*SignPreview, error) {
	f.mu.Lock()
	proposed := f.proposed
	f.mu.Unlock()
	if req.Kind == SignPlanPropose && proposed {
		return nil, fmt.Errorf("%w: alice already proposed the same transaction as alice/rotkey (hash 3b1f2e9d8c7a6b5f4e3d2c1b0a99887766554433221100ffeeddccbbaa998877)", ErrAlreadyProposed)
	}
	p := &SignPreview{
		Request: req, ChainID: chainID,
		Digest:     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Expiration: fixedTime.Add(5 * time.Minute),
		Signers:    []SignerView{{Label: "bob's YubiKey 12345678 slot 9c", Key: keyBob, NeedsPIN: true, NeedsTouch: true}},
		Token:      "t1",
	}
	switch req.Kind {
	case SignApprove:
		p.Actions = []string{"eosio.msig::approve alice/rotkey as bob@active, pinned to proposal hash 3b1f2e9d…998877"}
	case SignRotateKey, SignUnregister:
		p.Actions = []string{fmt.Sprintf("eosio::%s %s (as %s@rotate)", map[SignKind]string{SignRotateKey: "regproducer", SignUnregister: "unregprod"}[req.Kind], req.Account, req.Account)}
	default:
		p.Actions = []string{describe(req)}
	}
	return p, nil
}

func (f *fakeBackend) Sign(ctx context.Context, p *SignPreview, pins []string) (*SignResult, error) {
	f.mu.Lock()
	f.signCalls++
	f.pins = append(f.pins, append([]string(nil), pins...))
	started, gate, err := f.signStarted, f.signGate, f.signErr
	f.mu.Unlock()
	if started != nil {
		started <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if p.Request.Kind == SignApprove {
		f.approved = true
	}
	f.mu.Unlock()
	return &SignResult{TxID: "5c0ffee0d15ea5e5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718", Notes: []string{"alice/rotkey: 2 of 3 approvals, can be executed"}}, nil
}

func (f *fakeBackend) calls() (int, [][]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.signCalls, f.pins
}
