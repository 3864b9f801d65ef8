// Package pivtest gives tests emulated YubiKeys (package pivcard) reached
// through the real pcscd and vsmartcard-vpcd, so that piv-go, yubico-piv-tool
// and ykcs11 talk to them exactly as to hardware. NewCard ensures pcscd runs
// with the project's readers (four "Yubico YubiKey vpcd PORT" readers with
// two slots each, ports 35963..35970), leases a free slot with an flock so
// that parallel test processes never share one, inserts a fresh card and
// waits until piv-go sees it:
//
//	card := pivtest.NewCard(t, pivtest.WithProfile(pivcard.Profile54))
//	yk := card.Open(t) // *piv.YubiKey on card.Reader, closed at cleanup
//
// Every PC/SC client can open every reader. Tests that run clients which
// touch all "Yubico" readers (ykcs11, OpenSC) pass WithAllReaders so that no
// other card exists meanwhile. Code that discovers cards by opening every
// reader (piv.Open) disturbs other tests' cards and, when Open fails after
// connecting, leaks an exclusive handle that blocks the reader until the
// process exits; NewCard and Reinsert move to another slot when that happens,
// but backends under test should be pointed at card.Reader.
//
// Starting pcscd needs root; without pcscd, vpcd or root the test is skipped,
// or fails under CI=true (see internal/testenv). CI starts pcscd beforehand
// with scripts/pcscd/start.sh.
package pivtest
