package tui

import (
	"strings"
	"testing"
)

// A device that could not be read is said on the inbox and the review, not
// dropped: a proposal awaiting its key may be missing from the list.
func TestInboxAndReviewShowDeviceErrors(t *testing.T) {
	const e = "pkcs11: token bp-hsm: CKR_DEVICE_ERROR"
	for _, tc := range []struct {
		name string
		view func(m *Model) string
	}{
		{"inbox", func(m *Model) string {
			s := newInbox(m.common())
			s.data = &InboxView{DeviceErrors: []string{e}}
			return s.view(100, 30)
		}},
		{"review", func(m *Model) string {
			s := newReview(m.common(), "alice", "rotkey")
			s.data = &ReviewView{Proposer: "alice", Name: "rotkey", DeviceErrors: []string{e}}
			return s.view(100, 30)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := withScreens(t, &fakeBackend{}, func(*Model) []screen { return nil })
			if v := tc.view(&m); !strings.Contains(v, "device not read: "+e) {
				t.Fatalf("the device error is not shown:\n%s", v)
			}
		})
	}
}
