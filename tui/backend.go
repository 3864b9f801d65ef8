package tui

import (
	"context"
	"errors"
	"time"
)

// ErrNotAvailable is what a Backend returns (wrapped, with the reason) for
// something the packages behind it cannot do yet. Screens show the message
// instead of data; they never make data up.
var ErrNotAvailable = errors.New("not available yet")

// ErrProposalGone is what Review returns (wrapped) when the proposal is no
// longer on chain: executed or cancelled since the screen read it.
var ErrProposalGone = errors.New("the proposal is no longer on chain")

// ErrAlreadyProposed is what PrepareSign returns (wrapped, naming the
// proposal that holds it) when the same transaction is already proposed:
// the screen warns and offers that proposal instead of a second one.
var ErrAlreadyProposed = errors.New("the same transaction is already proposed")

// Backend is everything the screens need: the data they render, as plain
// view models, and the actions they trigger. bpkeys implements it over the
// same package functions as the CLI; tests use fixed data.
//
// Every method is called from a tea.Cmd with a context that carries a
// timeout; implementations must return when it ends.
type Backend interface {
	// Overview lists the accounts of the config and team files (and the
	// demo account), the endpoints and their health.
	Overview(ctx context.Context) (*Overview, error)
	// Tree is an account's permission tree, labelled and checked.
	Tree(ctx context.Context, account string) (*TreeView, error)
	// Devices lists the YubiKeys and PKCS#11 tokens connected now.
	Devices(ctx context.Context) (*DevicesView, error)
	// Plan previews a change of an account's permissions: the diff and the
	// findings, and whether the safety rules refuse it.
	Plan(ctx context.Context, req PlanRequest) (*PlanView, error)
	// Inbox lists the eosio.msig proposals that concern the team.
	Inbox(ctx context.Context) (*InboxView, error)
	// Review reads one proposal: its actions in words, the permission diffs,
	// approvals and weights per level, and the verdict.
	Review(ctx context.Context, proposer, name string) (*ReviewView, error)
	// Producer reads an account's producer row and claim schedule.
	Producer(ctx context.Context, account string) (*ProducerView, error)
	// PrepareSign builds the transaction a request signs, without signing:
	// the signing screen shows it and asks for confirmation.
	PrepareSign(ctx context.Context, req SignRequest) (*SignPreview, error)
	// Sign signs exactly what PrepareSign returned and pushes it. pins holds
	// one PIN per entry of p.Signers ("" where none is needed).
	Sign(ctx context.Context, p *SignPreview, pins []string) (*SignResult, error)
}

// Overview is the Accounts screen's data.
type Overview struct {
	// ChainID is the chain the endpoints serve ("" when none answered).
	ChainID   string
	Endpoints []Endpoint
	Accounts  []AccountRow
}

// Endpoint is one nodeos endpoint and its health.
type Endpoint struct {
	URL string
	// Answers is true when get_info answered; InUse marks the endpoint
	// reads go to (the first that answers).
	Answers, InUse bool
	HeadBlock      uint32
	// HeadAge is how old the head block is (now minus head block time).
	HeadAge       time.Duration
	ServerVersion string
	// Error says why the endpoint does not answer.
	Error string
}

// AccountRow is one account the team manages.
type AccountRow struct {
	Name string
	// Source says where the account comes from: "config", "team file",
	// "demo", "--account".
	Source string
	// Producer is the producer status in words: "active producer",
	// "registered, inactive", "not a producer"; "" when unknown.
	Producer string
	// Findings counts the policy findings of its tree (errors first).
	Errors, Warnings int
	// Error is why the account could not be read.
	Error string
}

// Severity of a finding.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one policy finding, in words.
type Finding struct {
	Severity   Severity
	Rule       string
	Permission string
	Message    string
}

// TreeView is an account's permission tree.
type TreeView struct {
	Account string
	// Perms in tree order: owner, then each permission followed by its
	// children.
	Perms []PermNode
	// AnyLinks are the actions linked to eosio.any.
	AnyLinks []string
	// LinksUnknown: the node did not report linked actions.
	LinksUnknown bool
	Findings     []Finding
}

// PermNode is one permission of a tree.
type PermNode struct {
	Name, Parent string
	// Depth is 0 for owner, 1 for active, ...
	Depth     int
	Threshold uint32
	Keys      []KeyNode
	Accounts  []LevelNode
	Waits     []WaitNode
	// Links are the actions linked to this permission (contract::action).
	Links []string
}

// KeyNode is one key of a permission, labelled when the team file or a
// connected device knows it.
type KeyNode struct {
	Key    string
	Weight uint16
	// Holder is who holds the key ("" when nobody in the team file).
	Holder string
	// Device describes where it lives ("YubiKey 12345678 slot 9c").
	Device string
	// Connected: a device holding this key is connected now.
	Connected bool
	// Hardware is false for a key the team file does not mark as on a
	// device.
	Hardware bool
}

// LevelNode is one account level of an authority.
type LevelNode struct {
	Level  string
	Weight uint16
}

// WaitNode is one wait of an authority (never counts on current chains).
type WaitNode struct {
	Seconds uint32
	Weight  uint16
}

// DevicesView is the Devices screen's data.
type DevicesView struct {
	Devices []DeviceView
	// Errors are backends that could not be listed, in words.
	Errors []string
}

// DeviceView is one YubiKey or PKCS#11 token.
type DeviceView struct {
	// Scheme is "yubikey" or "pkcs11".
	Scheme, Name, Serial string
	Firmware             string
	// PINRetries left ("" when the device does not say).
	PINRetries string
	Keys       []DeviceKey
}

// DeviceKey is one key on a device.
type DeviceKey struct {
	Ref, Label string
	PublicKey  string
	// Attestation: "verified", "not verified: ...", "none" or "unsupported".
	Attestation string
	// Holder from the team file; UsedIn lists account@permission using it.
	Holder string
	UsedIn []string
	// PINPolicy and TouchPolicy (YubiKey).
	PINPolicy, TouchPolicy string
}

// PlanKind is the kind of change a plan makes.
type PlanKind string

// Plan kinds the tree offers.
const (
	PlanRotate    PlanKind = "rotate"
	PlanRemoveKey PlanKind = "remove-key"
	PlanThreshold PlanKind = "threshold"
	PlanTemplate  PlanKind = "producer-template"
)

// PlanRequest asks for a plan.
type PlanRequest struct {
	Account    string
	Kind       PlanKind
	Permission string
	// Key is the key the plan starts from (rotate, remove).
	Key string
	// NewKey replaces Key (rotate).
	NewKey string
	// Threshold is the new threshold (threshold).
	Threshold uint32
}

// PlanView is a previewed plan.
type PlanView struct {
	Request PlanRequest
	// Edits describe the change as the CLI writes it.
	Edits []string
	// Diff lines: "+" added, "-" removed, "~" changed.
	Diff []string
	// Actions summarise the native actions, one per line.
	Actions  []string
	Findings []Finding
	// Refused: a built-in safety rule refuses the plan (a lockout);
	// RefusedReason says why, in words.
	Refused       bool
	RefusedReason string
	// Direct says whether the keys connected now can sign it directly
	// (else it must be proposed), and with which permission.
	Direct     bool
	DirectWith string
}

// InboxView is the proposals that concern the team.
type InboxView struct {
	Proposals []ProposalRow
	// DeviceErrors are the devices that could not be read: a proposal
	// awaiting a key on one of them may be missing from the list.
	DeviceErrors []string
}

// ProposalRow is one proposal in the inbox.
type ProposalRow struct {
	Proposer, Name string
	// Does says what the proposal does in one line (its first action, and
	// how many more); Summary whose approval it awaits.
	Does    string
	Summary string
	// Approved and Requested count approvals.
	Approved, Requested int
	Expires             time.Time
	// AwaitsYou: a level the team holds is requested and has not approved.
	AwaitsYou bool
	// Executable: exec would succeed now.
	Executable bool
}

// ReviewView is one proposal, reviewed.
type ReviewView struct {
	Proposer, Name string
	// Hash is the proposal hash approvals are pinned to.
	Hash       string
	Expiration time.Time
	Actions    []ActionView
	Levels     []ApprovalLevel
	Verdict    Verdict
	// CanApprove / CanUnapprove say what the team's connected keys can do.
	CanApprove, CanUnapprove bool
	// ApproveAs is the level an approval would be given as.
	ApproveAs string
	// DeviceErrors are the devices that could not be read: what the
	// connected keys can do may be more than CanApprove says.
	DeviceErrors []string
}

// ActionView is one proposed action, in words, with the permission diff it
// makes when it changes permissions.
type ActionView struct {
	Text          string
	Authorization []string
	Diff          []string
}

// ApprovalLevel is one level of the approval progress, flattened with its
// depth.
type ApprovalLevel struct {
	Depth     int
	Level     string
	Weight    uint16 // the weight this level carries in its parent
	Threshold uint32
	Have      uint32 // the weight satisfied so far
	Satisfied bool
	Approved  bool
	Requested bool
}

// Verdict is a review's conclusion.
type Verdict struct {
	Executable bool
	Reasons    []string
}

// ProducerView is the Producer screen's data.
type ProducerView struct {
	Account    string
	Registered bool
	Active     bool
	// SigningKeys label the block-signing keys; Threshold is the
	// block-signing authority's.
	SigningKeys []string
	Threshold   uint32
	URL         string
	Location    uint16
	LastClaim   time.Time
	NextClaim   time.Time
	HeadTime    time.Time
	// ClaimNow: a claim would be allowed now.
	ClaimNow bool
	// Permissions that authorize rotate (regproducer), unregister and claim.
	RotatePerm, UnregisterPerm, ClaimPerm string
	UnpaidBlocks                          uint32

	// Savanna keys. FinalizerKeys are display lines ("* PUB_BLS_... on
	// bp1", the active one starred); FinalizerNote says whether the chain
	// runs Savanna and the account is in the finalizer policy (or why the
	// keys could not be read); PeerKey is the registered peer key.
	FinalizerKeys []string
	FinalizerNote string
	PeerKey       string
	// Hosts are the team file's hosts ("bp2 (backup)"); FailoverHosts the
	// names a failover can go to. Findings are the finalizer policy
	// findings in words.
	Hosts         []string
	FailoverHosts []string
	Findings      []string
}

// SignKind is what a signature does.
type SignKind string

// Signing requests the screens make.
const (
	SignPlanDirect  SignKind = "plan-direct"
	SignPlanPropose SignKind = "plan-propose"
	SignApprove     SignKind = "approve"
	SignUnapprove   SignKind = "unapprove"
	SignExec        SignKind = "exec"
	SignCancel      SignKind = "cancel"
	SignRotateKey   SignKind = "producer-rotate"
	SignUnregister  SignKind = "producer-unregister"
	SignFailover    SignKind = "finalizer-failover"
)

// SignRequest is one thing to sign.
type SignRequest struct {
	Kind    SignKind
	Account string
	// Plan for plan-direct and plan-propose.
	Plan *PlanRequest
	// Proposer and Proposal for approve, unapprove, exec and cancel.
	Proposer, Proposal string
	// Hash is the proposal hash the review showed: an approval is pinned
	// to it, and refused when the proposal now holds another.
	Hash string
	// NewKey for producer-rotate.
	NewKey string
	// Host for finalizer-failover: the team file's host to switch to.
	Host string
}

// SignerView is one device that will sign.
type SignerView struct {
	// Label names the device and who holds it ("alice's YubiKey 12345678
	// slot 9c").
	Label string
	Key   string
	// NeedsPIN: the PIN is asked for; NeedsTouch: the key's touch policy
	// needs a touch.
	NeedsPIN, NeedsTouch bool
}

// SignPreview is what will be signed, shown before any device is asked.
type SignPreview struct {
	Request    SignRequest
	ChainID    string
	Digest     string
	Expiration time.Time
	// Actions in words, one per line.
	Actions []string
	Signers []SignerView
	// Token lets the backend find the exact transaction it prepared.
	Token string
}

// NeedsTouch reports whether any signer needs a touch.
func (p *SignPreview) NeedsTouch() bool {
	for _, s := range p.Signers {
		if s.NeedsTouch {
			return true
		}
	}
	return false
}

// SignResult is a pushed transaction.
type SignResult struct {
	TxID string
	// Notes add what happened ("proposed as bpkeys.abc12; 1 of 2
	// approvals").
	Notes []string
}
