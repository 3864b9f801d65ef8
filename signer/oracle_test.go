package signer_test

import (
	"context"
	"encoding/asn1"
	"math/big"
	mrand "math/rand/v2"
	"testing"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/signer/signertest"
)

var nameChars = []byte("abcdefghijklmnopqrstuvwxyz12345.")

func randomName(r *mrand.Rand) eos.AccountName {
	n := 1 + r.IntN(12)
	b := make([]byte, n)
	for i := range b {
		b[i] = nameChars[r.IntN(31)] // no dot, so every name is valid
	}
	return eos.AccountName(b)
}

// randomTx builds a varied transaction: header fields, 1-4 actions with
// several authorizations and data of 0-300 bytes, sometimes context-free
// data.
func randomTx(r *mrand.Rand) (*eos.SignedTransaction, []byte, []byte) {
	tx := &eos.Transaction{
		TransactionHeader: eos.TransactionHeader{
			Expiration:       eos.JSONTime{Time: time.Unix(1700000000+r.Int64N(1e8), 0).UTC()},
			RefBlockNum:      uint16(r.IntN(65536)),
			RefBlockPrefix:   r.Uint32(),
			MaxNetUsageWords: eos.Varuint32(r.IntN(3)),
			MaxCPUUsageMS:    uint8(r.IntN(3)),
		},
	}
	for i := 0; i < 1+r.IntN(4); i++ {
		data := make([]byte, r.IntN(300))
		for j := range data {
			data[j] = byte(r.IntN(256))
		}
		a := &eos.Action{Account: randomName(r), Name: eos.ActionName(randomName(r)), ActionData: eos.NewActionDataFromHexData(data)}
		for j := 0; j < 1+r.IntN(3); j++ {
			a.Authorization = append(a.Authorization, eos.PermissionLevel{Actor: randomName(r), Permission: eos.PermissionName(randomName(r))})
		}
		tx.Actions = append(tx.Actions, a)
	}
	stx := eos.NewSignedTransaction(tx)
	if r.IntN(5) == 0 {
		stx.ContextFreeData = []eos.HexBytes{[]byte("cfd-one"), make([]byte, r.IntN(40))}
	}
	packed, cfd, err := stx.PackedTransactionAndCFD()
	if err != nil {
		panic(err)
	}
	return stx, packed, cfd
}

// TestOracleAgreement makes 1,200 signatures (K1 and R1; half by the full
// signing path, half converted from device-shaped DER and raw r||s inputs
// forced to high S) over varied packed transactions, and has wharfkit and
// eosjs recover each one. Both must name exactly the key bpkeys names, and
// read back every key and signature string bpkeys formats.
func TestOracleAgreement(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	chainIDs := []string{mainnetChainID, "73e4385a2708e6d7048834fbc1079f2fabb17b3c125b146af438971e90716c4d", "1064487b3cd1a897ce03ae5b6a865651747e2e152090f99c1d19d44e01aea5a4"}
	var vectors []oracle.Vector
	var keys []signer.PublicKey
	var sigs []signer.Signature
	for _, c := range curves {
		for k := 0; k < 6; k++ {
			key := testsigner.New(c)
			keys = append(keys, key.PublicKey())
			for i := 0; i < 100; i++ {
				id, _ := signer.ParseChainID(chainIDs[r.IntN(len(chainIDs))])
				_, packed, cfd := randomTx(r)
				d := signer.Digest(id, packed, cfd)
				var sig signer.Signature
				var err error
				if i%2 == 0 {
					sig, err = key.Sign(context.Background(), d)
					if err != nil {
						t.Fatal(err)
					}
					signertest.Check(t, sig, d, key.PublicKey()) // canonical K1 / low-S R1, asserted in Go
				} else {
					rr, ss := key.RawRS(d[:])
					n := order(c)
					if ss.Cmp(new(big.Int).Rsh(n, 1)) <= 0 {
						ss = new(big.Int).Sub(n, ss) // force high S: conversion must fix it
					}
					var dev []byte
					if i%4 == 1 {
						dev, _ = asn1.Marshal(struct{ R, S *big.Int }{rr, ss})
					} else {
						dev = make([]byte, 64)
						rr.FillBytes(dev[:32])
						ss.FillBytes(dev[32:])
					}
					sig, err = signer.Compact(key.PublicKey(), d[:], dev)
					if err != nil {
						t.Fatal(err)
					}
					if !sig.IsLowS() {
						t.Fatal("conversion left a high S")
					}
				}
				sigs = append(sigs, sig)
				vectors = append(vectors, oracle.NewVector(id, packed, cfd, sig, key.PublicKey()))
			}
		}
	}
	if len(vectors) < 1000 {
		t.Fatalf("only %d vectors", len(vectors))
	}
	oracle.CheckVectors(t, vectors)
	oracle.CheckKeys(t, keys)
	oracle.CheckSignatureStrings(t, sigs[:200])
}

// TestOracleNegativeControl makes sure the oracle can disagree: a signature
// presented with another key, and a signature over another transaction, are
// not recovered to the claimed key.
func TestOracleNegativeControl(t *testing.T) {
	r := mrand.New(mrand.NewPCG(3, 4))
	id, _ := signer.ParseChainID(mainnetChainID)
	key, other := testsigner.New(signer.CurveR1), testsigner.New(signer.CurveR1)
	_, packed, _ := randomTx(r)
	_, packed2, _ := randomTx(r)
	d := signer.Digest(id, packed, nil)
	sig, err := key.Sign(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	res := oracle.Run(t, oracle.Request{Vectors: []oracle.Vector{
		oracle.NewVector(id, packed, nil, sig, other.PublicKey()),
		oracle.NewVector(id, packed2, nil, sig, key.PublicKey()),
	}})
	if res.Vectors[0].Wharfkit == other.PublicKey().String() || res.Vectors[0].Eosjs == other.PublicKey().String() {
		t.Fatal("oracle recovered the wrong key for a mismatched vector")
	}
	if res.Vectors[0].Wharfkit != key.PublicKey().String() {
		t.Fatalf("oracle recovered %s, want the real signer %s", res.Vectors[0].Wharfkit, key.PublicKey())
	}
	if res.Vectors[1].Wharfkit == key.PublicKey().String() || res.Vectors[1].Eosjs == key.PublicKey().String() {
		t.Fatal("a signature over one transaction recovered to its key over another")
	}
}
