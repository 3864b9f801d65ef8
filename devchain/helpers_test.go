package devchain

import (
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// keys used by the test genesis (reproducible).
var (
	kAlice = testsigner.FromSeed(signer.CurveK1, "alice")
	kBob   = testsigner.FromSeed(signer.CurveR1, "bob")
	kCarol = testsigner.FromSeed(signer.CurveK1, "carol")
	kClaim = testsigner.FromSeed(signer.CurveR1, "claim")
	kOther = testsigner.FromSeed(signer.CurveK1, "other")
	kDeep  = testsigner.FromSeed(signer.CurveK1, "deep")
	kProd  = testsigner.FromSeed(signer.CurveK1, "block-signing")
)

func keyAuth(k *testsigner.Key) GenesisAuthority {
	var a GenesisAuthority
	a.Threshold = 1
	a.Keys = append(a.Keys, struct {
		Key    string `json:"key"`
		Weight uint16 `json:"weight"`
	}{k.PublicKey().String(), 1})
	return a
}

func accountsAuth(threshold uint32, actors ...string) GenesisAuthority {
	var a GenesisAuthority
	a.Threshold = threshold
	for _, ac := range actors {
		var e struct {
			Permission struct {
				Actor      string `json:"actor"`
				Permission string `json:"permission"`
			} `json:"permission"`
			Weight uint16 `json:"weight"`
		}
		e.Permission.Actor, e.Permission.Permission, e.Weight = ac, "active", 1
		a.Accounts = append(a.Accounts, e)
	}
	return a
}

func simpleAccount(name string, k *testsigner.Key, balance string) GenesisAccount {
	return GenesisAccount{Name: name, Balance: balance, Permissions: []GenesisPermission{
		{PermName: "owner", RequiredAuth: keyAuth(k)},
		{PermName: "active", Parent: "owner", RequiredAuth: keyAuth(k)},
	}}
}

func testGenesis() *Genesis {
	g := &Genesis{Time: "2026-01-01T00:00:00.000"}
	g.Accounts = append(g.Accounts,
		simpleAccount("alice", kAlice, "1000.0000 EOS"),
		simpleAccount("bob", kBob, "1000.0000 EOS"),
		simpleAccount("carol", kCarol, "1000.0000 EOS"),
		GenesisAccount{Name: "bpteam111111", Balance: "10.0000 EOS", Permissions: []GenesisPermission{
			{PermName: "owner", RequiredAuth: accountsAuth(2, "alice", "bob", "carol")},
			{PermName: "active", Parent: "owner", RequiredAuth: accountsAuth(2, "alice", "bob", "carol")},
			{PermName: "claim", Parent: "active", RequiredAuth: keyAuth(kClaim), LinkedActions: []GenesisLinkedAt{{"eosio", "claimrewards"}, {"eosio.bpay", "claimrewards"}}},
		}},
	)
	// deepa -> deepb -> ... -> deepg: the active of each names the next; deepg holds the key.
	for i := 1; i <= 7; i++ {
		name := "deep" + string(rune('a'+i-1))
		var auth GenesisAuthority
		if i < 7 {
			auth = accountsAuth(1, "deep"+string(rune('a'+i)))
		} else {
			auth = keyAuth(kDeep)
		}
		g.Accounts = append(g.Accounts, GenesisAccount{Name: name, Permissions: []GenesisPermission{
			{PermName: "owner", RequiredAuth: keyAuth(kOther)},
			{PermName: "active", Parent: "owner", RequiredAuth: auth},
		}})
	}
	g.Producers = []GenesisProducer{{Owner: "bpteam111111", ProducerKey: kProd.PublicKey().Legacy(), URL: "https://example.org"}}
	return g
}

type env struct {
	t *testing.T
	c *Chain
}

func newEnv(t testing.TB, g *Genesis) *env {
	t.Helper()
	c, err := New(g, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if tt, ok := t.(*testing.T); ok {
		return &env{t: tt, c: c}
	}
	return &env{c: c}
}

func lv(s string) eos.PermissionLevel {
	a, p, _ := strings.Cut(s, "@")
	return eos.PermissionLevel{Actor: eos.AccountName(a), Permission: eos.PermissionName(p)}
}

func act(account, name string, data any, auths ...string) *eos.Action {
	var b []byte
	switch d := data.(type) {
	case []byte:
		b = d
	default:
		b = contracts.MustEncode(data)
	}
	a := &eos.Action{Account: eos.AccountName(account), Name: eos.ActionName(name), ActionData: eos.NewActionDataFromHexData(b)}
	for _, s := range auths {
		a.Authorization = append(a.Authorization, lv(s))
	}
	return a
}

type txOpt func(*eos.Transaction)

// trx builds a transaction with TaPoS from the head and a 60 s expiration.
func (e *env) trx(actions []*eos.Action, opts ...txOpt) *eos.Transaction {
	h := e.c.Head()
	tx := &eos.Transaction{TransactionHeader: eos.TransactionHeader{
		Expiration:     eos.JSONTime{Time: h.Time.Add(60 * time.Second)},
		RefBlockNum:    uint16(h.Num),
		RefBlockPrefix: h.RefBlockPrefix(),
	}, Actions: actions}
	for _, o := range opts {
		o(tx)
	}
	return tx
}

func sign(chainID signer.ChainID, packed []byte, keys ...*testsigner.Key) []string {
	d := signer.Digest(chainID, packed, nil)
	var sigs []string
	for _, k := range keys {
		s, err := k.Sign(context.Background(), d)
		if err != nil {
			panic(err)
		}
		sigs = append(sigs, s.String())
	}
	return sigs
}

func (e *env) request(tx *eos.Transaction, keys ...*testsigner.Key) PushRequest {
	packed := contracts.MustEncode(tx)
	return PushRequest{Signatures: sign(e.c.ChainID(), packed, keys...), Compression: []byte(`"none"`), PackedTrx: hex.EncodeToString(packed)}
}

func (e *env) push(actions []*eos.Action, keys ...*testsigner.Key) (*PushResult, error) {
	return e.c.PushTransaction(e.request(e.trx(actions), keys...))
}

func (e *env) mustPush(actions []*eos.Action, keys ...*testsigner.Key) *PushResult {
	e.t.Helper()
	r, err := e.push(actions, keys...)
	if err != nil {
		e.t.Fatalf("push: %v", err)
	}
	return r
}

func wantErr(t *testing.T, err error, kind *Error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s %q", kind.Name, msg)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("got %v; want %s (%d)", err, kind.Name, kind.Code)
	}
	var e *Error
	errors.As(err, &e)
	if msg != "" && (len(e.Messages) == 0 || !strings.Contains(e.Messages[0], msg)) {
		t.Fatalf("got message %q; want it to contain %q", e.Messages, msg)
	}
}

func transfer(from, to, qty string) contracts.Transfer {
	a, err := eos.NewAssetFromString(qty)
	if err != nil {
		panic(err)
	}
	return contracts.Transfer{From: eos.AccountName(from), To: eos.AccountName(to), Quantity: a, Memo: "test"}
}

func (e *env) balance(acct string) string {
	e.t.Helper()
	info, err := e.c.GetAccount(acct)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.CoreLiquidBalance
}

// nonCanonicalK1 signs digest with k until it finds a valid, low-S, but
// non-canonical K1 signature.
func nonCanonicalK1(t *testing.T, k *testsigner.Key, digest [32]byte) signer.Signature {
	n, _ := new(big.Int).SetString("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141", 16)
	half := new(big.Int).Rsh(n, 1)
	for i := 0; i < 1000; i++ {
		r, s := k.RawRS(digest[:])
		if s.Cmp(half) > 0 {
			s.Sub(n, s)
		}
		var b [65]byte
		r.FillBytes(b[1:33])
		s.FillBytes(b[33:])
		for rec := 0; rec < 4; rec++ {
			b[0] = byte(31 + rec)
			sig, err := signer.NewSignature(signer.CurveK1, b[:])
			if err != nil {
				continue
			}
			if p, err := sig.Recover(digest[:]); err == nil && p == k.PublicKey() {
				if !sig.IsCanonical() {
					return sig
				}
				break
			}
		}
	}
	t.Fatal("no non-canonical signature found")
	return signer.Signature{}
}

// highS turns a valid R1 signature into the equivalent high-S one.
func highS(sig signer.Signature) signer.Signature {
	n, _ := new(big.Int).SetString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
	s := new(big.Int).SetBytes(sig.Data[33:])
	s.Sub(n, s)
	out := sig
	s.FillBytes(out.Data[33:])
	out.Data[0] = 27 + 4 + byte((int(sig.Data[0]-27)&3)^1)
	return out
}
