package blocksigner

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bpkeys/bpkeys/internal/oracle"
	"github.com/bpkeys/bpkeys/signer"
)

// TestNodeosProtocol speaks to the service exactly as nodeos's KEOSD
// signature provider does, over a unix socket and over loopback TCP, with a
// K1 and an R1 block key and a K1 peer key on SoftHSM2; the node oracle
// recovers every signature to its key.
func TestNodeosProtocol(t *testing.T) {
	k1, k1Ref := hsmKey(t, "proto-k1", signer.CurveK1)
	r1, r1Ref := hsmKey(t, "proto-r1", signer.CurveR1)
	peer, peerRef := hsmKey(t, "proto-peer", signer.CurveK1)
	keys := []KeyConfig{
		{Key: k1.String(), Device: k1Ref, Role: RoleBlock},
		{Key: r1.String(), Device: r1Ref, Role: RoleBlock},
		{Key: peer.Legacy(), Device: peerRef, Role: RolePeer},
	}
	var vs []oracle.Vector
	for _, transport := range []string{"unix", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			cfg := unixConfig(t, keys...)
			if transport == "tcp" {
				cfg.Listen = "127.0.0.1:0"
			}
			ts := startServer(t, cfg, Options{})
			c := newNodeosClient(t, ts.url)
			for h := uint32(1000); h < 1003; h++ {
				for _, pub := range []signer.PublicKey{k1, r1} {
					d := blockID(t, h)
					vs = append(vs, vector(d, mustSign(t, c, d, pub), pub))
				}
				d := blockID(t, 7) // gossip digests carry no height: never checked
				vs = append(vs, vector(d, mustSign(t, c, d, peer), peer))
			}

			// K1 keys are named as fc writes them (legacy EOS form), R1 as PUB_R1_.
			c.path = PathGetPublicKeys
			raw, err := c.post(nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("get_public_keys: %s", raw)
			}
			want := []string{k1.Legacy(), r1.String(), peer.Legacy()}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("get_public_keys = %v, want %v", got, want)
			}
			c.path = PathSignDigest

			// A key the configuration does not name: keosd's missing key error.
			other, _ := hsmKey(t, "proto-other", signer.CurveK1)
			_, err = c.signDigest(blockID(t, 1003), other)
			var fe *fcError
			if !errors.As(err, &fe) || fe.Body.Error.Code != codeMissingPubKey || fe.Body.Error.Name != "wallet_missing_pub_key_exception" {
				t.Fatalf("unknown key: %v", err)
			}

			// Malformed bodies: keosd's 400 invalid_http_request (nodeos
			// cannot read a signature from it either).
			for _, body := range []any{[]string{"00"}, []string{"zz", k1.String()}, map[string]string{"digest": "00"}, []int{1, 2}} {
				raw, err := c.post(body)
				if err != nil {
					t.Fatalf("%v: %v", body, err)
				}
				var er ErrorResults
				if json.Unmarshal(raw, &er) != nil || er.Code != 400 || er.Error.Code != codeInvalidHTTPReq {
					t.Fatalf("%v answered %s", body, raw)
				}
			}
			// Any other path: 404, which nodeos reports as "URL not found".
			c.path = "/v1/wallet/sign_transaction"
			if _, err := c.post([]string{}); err == nil || !strings.Contains(err.Error(), "URL not found") {
				t.Fatalf("other endpoint: %v", err)
			}
			c.path = PathSignDigest

			if transport == "unix" {
				fi, err := statSocket(ts.sock)
				if err != nil || fi != 0o660 {
					t.Fatalf("socket mode %v (%v), want 0660", fi, err)
				}
			}
			ts.stop(t)
			sum, err := VerifyLog(cfg.State)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Signed != 9 || sum.Refused != 1 {
				t.Fatalf("log: %+v, want 9 signed and 1 refused (the unknown key)", sum)
			}
		})
	}
	checkOracle(t, vs)
}

// TestListenRefusesNonLoopback: the wallet API is unauthenticated.
func TestListenRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8900", "192.168.1.4:8900", "[::]:8900", "example.com:8900", "unix://relative.sock"} {
		if _, _, err := ParseListen(addr); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:8900", "[::1]:8900", "localhost:8900", "unix:///run/bpkeys/signer.sock"} {
		if _, _, err := ParseListen(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	// A socket another signer answers on is not taken over.
	cfg := &Config{Listen: "unix://" + socketDir(t) + "/s.sock"}
	ln, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := Listen(cfg); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second listener: %v", err)
	}
}

// TestHSMSessionLostReopens: the HSM drops every session of the token (as
// on a restart of a network HSM): the next request opens the key again,
// logging in with the PIN held since start (its environment variable is
// gone by then), and is signed without a restart.
func TestHSMSessionLostReopens(t *testing.T) {
	pub, ref := hsmKey(t, "reopen-k1", signer.CurveK1)
	cfg := unixConfig(t, KeyConfig{Key: pub.String(), Device: ref, Role: RoleBlock})
	ts := startServer(t, cfg, Options{Open: hsmOpener(NewPINs())})
	c := newNodeosClient(t, ts.url)
	mustSign(t, c, blockID(t, 1), pub)
	t.Setenv(pinEnv, "")

	raw, slot := openRaw(t, "reopen-k1")
	if err := raw.m.CloseAllSessions(slot); err != nil {
		t.Fatal(err)
	}
	mustSign(t, c, blockID(t, 2), pub)
	k := ts.srv.keys[pub]
	k.mu.Lock()
	reopens := k.dev.reopens
	k.mu.Unlock()
	if reopens != 1 {
		t.Fatalf("%d reopens, want 1", reopens)
	}
	var buf strings.Builder
	ts.srv.m.write(&buf)
	if !strings.Contains(buf.String(), MetricReopens+`{key="`+pub.String()+`"} 1`) {
		t.Fatalf("metrics:\n%s", buf.String())
	}
}
