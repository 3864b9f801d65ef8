package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bpkeys/bpkeys/hsm/piv"
	"github.com/bpkeys/bpkeys/hsm/pkcs11"
	"github.com/bpkeys/bpkeys/pinentry"
	"github.com/bpkeys/bpkeys/producer"
)

// The claim daemon's retry decision is made by type, never by text: a
// reworded wrong-PIN message still stops retries, and a transient error
// that happens to say "wrong PIN" is still retried.
func TestPermanentDeviceErrorByType(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("opening: %w", &piv.PINError{Retries: 2}), true},
		{fmt.Errorf("opening: %w", &pkcs11.PINError{Token: "t"}), true},
		{fmt.Errorf("reading: %w", &pinentry.SourceError{Kind: pinentry.FD, Reason: "x"}), true},
		{pkcs11.ErrPINLocked, true},
		{errors.New("the network said: wrong PIN"), false},
		{fmt.Errorf("%w", pkcs11.ErrTokenRemoved), false},
	} {
		if got := permanentDeviceError(tc.err); got != tc.want {
			t.Errorf("%v: permanent = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Every claim outcome prints a whole line: a run that waited for another
// never claims "from  in transaction ;".
func TestClaimLineOutcomes(t *testing.T) {
	head := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		r    producer.ClaimResult
		want string
	}{
		{producer.ClaimResult{Account: "bp", Status: producer.Claimed, Contracts: []string{"eosio"}, TrxID: "ab12", Amounts: []string{"1.0000 EOS"}}, "bp: claimed 1.0000 EOS from eosio in transaction ab12;"},
		{producer.ClaimResult{Account: "bp", Status: producer.ClaimedByOther}, "bp: claimed by another run while this one waited for it, nothing sent;"},
		{producer.ClaimResult{Account: "bp", Status: producer.AlreadyClaimed}, "bp: already claimed within the past day, nothing sent;"},
		{producer.ClaimResult{Account: "bp", Status: producer.NotYet}, "bp: not yet, nothing sent;"},
	} {
		tc.r.HeadBlockTime, tc.r.NextAllowed = head, head.Add(time.Hour)
		if got := claimLine(&tc.r); !strings.HasPrefix(got, tc.want) || strings.Contains(got, "from  in") {
			t.Errorf("%s: %q", tc.r.Status, got)
		}
	}
}
