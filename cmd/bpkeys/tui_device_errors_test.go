package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/signer"
)

// brokenBackend is a device backend whose inventory fails, as a PC/SC
// daemon that died would. A fake: the failure is the point, and a real
// daemon cannot be made to fail on cue here.
type brokenBackend struct{}

func (brokenBackend) Scheme() string { return "yubikey" }
func (brokenBackend) Inventory(context.Context) (devices.Inventory, error) {
	return devices.Inventory{}, errors.New("cannot reach the PC/SC daemon")
}
func (brokenBackend) Open(context.Context, signer.Ref) (devices.Key, error) {
	return nil, errors.New("unused")
}
func (brokenBackend) Generate(context.Context, signer.Ref, devices.GenerateOptions) (signer.PublicKey, error) {
	return signer.PublicKey{}, errors.New("unused")
}

// A device that cannot be read shows as a warning on the tree, not as
// keys that are simply not connected.
func TestTUITreeShowsDeviceErrors(t *testing.T) {
	a, _, _ := tuiDemo(t)
	b, err := a.newTUIBackend(demoAccounts()...)
	if err != nil {
		t.Fatal(err)
	}
	b.reg = devices.NewRegistry(brokenBackend{})
	v, err := b.Tree(context.Background(), demoAccounts()[0].name)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range v.Findings {
		if f.Rule == "devices" && strings.Contains(f.Message, "cannot reach the PC/SC daemon") {
			return
		}
	}
	t.Fatalf("no device warning in %+v", v.Findings)
}
