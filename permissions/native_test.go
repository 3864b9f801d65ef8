package permissions

import (
	"encoding/hex"
	"testing"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/signer"
)

// TestApplyNativeReplaysPlans: replaying a plan's native actions on the tree
// before it gives exactly the plan's tree after. The plans are built by this
// package's own planner on a real account (teamgreymass); the replay goes
// through the packed bytes, as a proposal's actions would.
func TestApplyNativeReplaysPlans(t *testing.T) {
	before := loadFixture(t, "get_account.eos.teamgreymass.json")
	newKey := testsigner.FromSeed(signer.CurveR1, "replay").PublicKey().String()
	claimKey := before.Perm("claim").Auth.Keys[0].Key.String()
	for _, tc := range []struct {
		name  string
		edits []func() (Edit, error)
	}{
		{"rotate", []func() (Edit, error){func() (Edit, error) { return ParseRotate(claimKey + "=" + newKey) }}},
		{"add key and threshold", []func() (Edit, error){
			func() (Edit, error) { return ParseAddKey("active=" + newKey + ":1") },
			func() (Edit, error) { return ParseThreshold("active=2") }}},
		{"create, link, unlink", []func() (Edit, error){
			func() (Edit, error) { return ParseCreate("rotate:active") },
			func() (Edit, error) { return ParseAddKey("rotate=" + newKey) },
			func() (Edit, error) { return ParseLinkEdit("rotate=eosio::regproducer") },
			func() (Edit, error) { return ParseUnlink("eosio::unregprod") }}},
		{"delete a linked permission", []func() (Edit, error){func() (Edit, error) { return ParseDelete("voting") }}},
		{"add an account level", []func() (Edit, error){func() (Edit, error) { return ParseAddAccount("oracle=teamgreymass@active:1") }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edits []Edit
			for _, f := range tc.edits {
				e, err := f()
				if err != nil {
					t.Fatal(err)
				}
				edits = append(edits, e)
			}
			plan, err := NewPlan(before, edits, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := before.Clone()
			for _, a := range plan.Actions {
				data, err := hex.DecodeString(a.HexData)
				if err != nil {
					t.Fatal(err)
				}
				if err := got.ApplyNative(a.Name, data); err != nil {
					t.Fatalf("%s: %v", a.Summary, err)
				}
			}
			if !got.Equal(plan.After) {
				t.Fatalf("replayed tree differs from the plan's\nreplayed: %+v\nplanned:  %+v", got.Permissions, plan.After.Permissions)
			}
			if got.Equal(before) {
				t.Fatal("the plan changed nothing: the test proves nothing")
			}
		})
	}
	// Actions on another account leave the tree alone; other actions are errors.
	other := before.Clone()
	other.Name = "someoneelse1"
	plan, err := NewPlan(before, []Edit{mustEdit(t, ParseAddKey, "active="+newKey)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := hex.DecodeString(plan.Actions[0].HexData)
	untouched := other.Clone()
	if err := other.ApplyNative("updateauth", data); err != nil || !other.Equal(untouched) {
		t.Fatalf("an action on %s changed %s: %v", before.Name, other.Name, err)
	}
	if err := other.ApplyNative("transfer", nil); err == nil {
		t.Fatal("a non-native action was applied")
	}
}
