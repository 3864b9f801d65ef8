package tui

import (
	"strings"
	"testing"
)

// The Producer screen shows the Savanna keys and offers the failover to a
// host of the team file, behind the host name and the account name typed.
func TestProducerFailover(t *testing.T) {
	fb := &fakeBackend{}
	m := sized(withScreens(t, fb, func(m *Model) []screen { return []screen{newProducer(m.common(), "bpkeysdemo11")} }), 100, 60)
	s := m.top().(*producerScreen)
	if _, ok := s.update(keyMsg("F"))().(ErrorMsg); !ok {
		t.Fatal("F offered a failover without hosts")
	}
	s.data = &ProducerView{Account: "bpkeysdemo11", Registered: true, Active: true,
		FinalizerKeys: []string{"* PUB_BLS_primary  on bp1", "  PUB_BLS_backup  on bp2"},
		FinalizerNote: "Savanna: the active key is in the finalizer policy",
		PeerKey:       "PUB_K1_peer", Hosts: []string{"bp1 (primary)", "bp2 (backup)"}, FailoverHosts: []string{"bp2"},
		Findings: []string{"warning [host-without-finalizer-key] host bp3 has a block-signing key but no finalizer key"}}
	view := s.view(100, 60)
	for _, want := range []string{"Savanna keys", "* PUB_BLS_primary  on bp1", "peer key", "bp1 (primary), bp2 (backup)", "host-without-finalizer-key", "F  fail over to another host (bp2)"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	press(s, "F")
	if !s.capturing() {
		t.Fatal("F did not ask for the host")
	}
	s.input.SetValue("bp9")
	if _, ok := s.update(keyMsg("enter"))().(ErrorMsg); !ok {
		t.Fatal("an unknown host was accepted")
	}
	s.input.SetValue("bp2")
	if cmd := s.update(keyMsg("enter")); cmd != nil {
		if _, isErr := cmd().(ErrorMsg); isErr {
			t.Fatal("bp2 refused")
		}
	}
	if !strings.Contains(s.view(100, 60), "host bp2") {
		t.Fatal("the confirmation does not name the host")
	}
	s.input.SetValue("bpkeysdemo1")
	if _, ok := s.update(keyMsg("enter"))().(ErrorMsg); !ok {
		t.Fatal("a wrong account name was accepted")
	}
	s.input.SetValue("bpkeysdemo11")
	msg, ok := s.update(keyMsg("enter"))().(StartSignMsg)
	if !ok || msg.Request.Kind != SignFailover || msg.Request.Host != "bp2" || msg.Request.Account != "bpkeysdemo11" {
		t.Fatalf("confirmed failover gave %#v", msg)
	}
	if describe(msg.Request) != "fail bpkeysdemo11 over to host bp2" {
		t.Fatalf("described as %q", describe(msg.Request))
	}
}
