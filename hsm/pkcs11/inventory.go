package pkcs11

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	cki "github.com/miekg/pkcs11"

	"github.com/bpkeys/bpkeys/devices"
	"github.com/bpkeys/bpkeys/signer"
)

// listedKey is one EC key found on a token: its public half, and whether a
// private object with the same id is visible and may sign.
type listedKey struct {
	label    string
	id       []byte
	curve    signer.Curve
	curveErr error
	pub      signer.PublicKey
	pubErr   error
	hasPriv  bool
	canSign  bool
}

func (k listedKey) curveName() string {
	if k.curveErr != nil {
		if ce, ok := k.curveErr.(*CurveError); ok {
			return ce.Name
		}
		return "unknown curve"
	}
	return k.curve.String()
}

// listKeys lists the EC keys visible in the session. Objects whose
// attributes cannot be read are skipped.
func listKeys(m module, sh cki.SessionHandle) ([]listedKey, error) {
	var out []listedKey
	byID := map[string]int{}
	keyOf := func(label string, id []byte) string {
		if len(id) > 0 {
			return "id:" + string(id)
		}
		return "label:" + label
	}
	// A token error is returned, never taken for "no keys"; a key whose
	// attributes cannot be read is listed as unusable, not dropped.
	pubs, err := findObjects(m, sh, []*cki.Attribute{cki.NewAttribute(cki.CKA_CLASS, cki.CKO_PUBLIC_KEY), cki.NewAttribute(cki.CKA_KEY_TYPE, cki.CKK_EC)})
	if err != nil {
		return nil, fmt.Errorf("listing the public keys: %w", err)
	}
	for _, h := range pubs {
		a, err := attrs(m, sh, h, cki.CKA_LABEL, cki.CKA_ID, cki.CKA_EC_PARAMS)
		if err != nil {
			out = append(out, listedKey{pubErr: fmt.Errorf("reading a public key's attributes: %w", err)})
			continue
		}
		k := listedKey{label: string(a[cki.CKA_LABEL]), id: a[cki.CKA_ID]}
		k.curve, k.curveErr = curveOf(a[cki.CKA_EC_PARAMS])
		if k.curveErr == nil {
			if p, err := attrs(m, sh, h, cki.CKA_EC_POINT); err != nil {
				k.pubErr = err
			} else {
				k.pub, k.pubErr = publicKeyFromPoint(k.curve, p[cki.CKA_EC_POINT])
			}
		}
		byID[keyOf(k.label, k.id)] = len(out)
		out = append(out, k)
	}
	privs, err := findObjects(m, sh, []*cki.Attribute{cki.NewAttribute(cki.CKA_CLASS, cki.CKO_PRIVATE_KEY), cki.NewAttribute(cki.CKA_KEY_TYPE, cki.CKK_EC)})
	if err != nil {
		return nil, fmt.Errorf("listing the private keys: %w", err)
	}
	for _, h := range privs {
		a, err := attrs(m, sh, h, cki.CKA_LABEL, cki.CKA_ID, cki.CKA_EC_PARAMS, cki.CKA_SIGN)
		if err != nil {
			out = append(out, listedKey{hasPriv: true, pubErr: fmt.Errorf("reading a private key's attributes: %w", err)})
			continue
		}
		label, id := string(a[cki.CKA_LABEL]), a[cki.CKA_ID]
		if i, ok := byID[keyOf(label, id)]; ok {
			out[i].hasPriv = true
			out[i].canSign = out[i].canSign || isTrue(a[cki.CKA_SIGN])
			continue
		}
		k := listedKey{label: label, id: id, hasPriv: true, canSign: isTrue(a[cki.CKA_SIGN])}
		k.curve, k.curveErr = curveOf(a[cki.CKA_EC_PARAMS])
		k.pubErr = fmt.Errorf("no public key object with this id")
		if k.curveErr == nil {
			if p, err := attrs(m, sh, h, cki.CKA_EC_POINT); err == nil {
				k.pub, k.pubErr = publicKeyFromPoint(k.curve, p[cki.CKA_EC_POINT])
			}
		}
		out = append(out, k)
	}
	return out, nil
}

func summaries(ks []listedKey) []KeySummary {
	out := make([]KeySummary, 0, len(ks))
	for _, k := range ks {
		s := KeySummary{Label: k.label, ID: hex.EncodeToString(k.id), Curve: k.curveName()}
		if k.pubErr == nil && !k.pub.IsZero() {
			s.PublicKey = k.pub.String()
		}
		out = append(out, s)
	}
	return out
}

func joinSummaries(s []KeySummary) string {
	parts := make([]string, len(s))
	for i, k := range s {
		parts[i] = k.String()
	}
	return strings.Join(parts, "; ")
}

// keyRef writes a reference Open accepts for a listed key.
func keyRef(path string, tok token, k listedKey) signer.Ref {
	r := signer.Ref{Scheme: Scheme, Path: map[string]string{"token": tok.Label, "serial": tok.Serial}, Query: map[string]string{"module-path": path}}
	if k.label != "" {
		r.Path["object"] = k.label
	}
	if len(k.id) > 0 {
		r.Path["id"] = hex.EncodeToString(k.id)
	}
	return r
}

// Inventory lists every initialized token of the default module (the
// backend's, else BPKEYS_PKCS11_MODULE) and every EC key on it whose public
// half is readable. It never logs in: on a token whose private objects need
// a login, a key seen only by its public object is marked
// can_sign=unknown without login. With no module configured it returns an
// empty inventory.
func (b *Backend) Inventory(ctx context.Context) (devices.Inventory, error) {
	inv := devices.Inventory{Devices: []devices.DeviceInfo{}, Keys: []devices.KeyInfo{}}
	if err := ctx.Err(); err != nil {
		return inv, err
	}
	path := b.defaultModule()
	if path == "" {
		return inv, nil
	}
	m, err := b.load(path)
	if err != nil {
		return inv, err
	}
	toks, err := tokensOf(m, b.noReaders)
	if err != nil {
		return inv, err
	}
	for _, tok := range toks {
		keys, loggedIn, err := b.tokenKeys(ctx, m, path, tok)
		if err != nil && ctx.Err() != nil {
			return inv, err
		}
		d := devices.DeviceInfo{
			Scheme: Scheme,
			Name:   "token " + tok.name(),
			Serial: tok.Serial,
			Details: map[string]string{
				"label":        tok.Label,
				"manufacturer": tok.Manufacturer,
				"model":        tok.Model,
				"slot":         strconv.FormatUint(uint64(tok.Slot), 10),
				"module":       path,
			},
		}
		switch {
		case tok.Flags&cki.CKF_USER_PIN_LOCKED != 0:
			d.Details["pin_status"] = "locked (unblock with the SO PIN)"
		case tok.Flags&cki.CKF_USER_PIN_FINAL_TRY != 0:
			d.Details["pin_status"] = "final try left"
		case tok.Flags&cki.CKF_USER_PIN_COUNT_LOW != 0:
			d.Details["pin_status"] = "a wrong PIN was entered"
		}
		if err != nil {
			d.Details["error"] = err.Error()
		}
		skipped := 0
		for _, k := range keys {
			if k.curveErr != nil || k.pubErr != nil {
				skipped++
				continue
			}
			ki := devices.KeyInfo{
				Scheme:    Scheme,
				Device:    "token " + tok.name(),
				Ref:       keyRef(path, tok, k).String(),
				Label:     k.label,
				ID:        hex.EncodeToString(k.id),
				PublicKey: k.pub,
				CanSign:   k.hasPriv && k.canSign,
				Details:   map[string]string{"curve": k.curve.Name()},
			}
			switch {
			case k.hasPriv && !k.canSign:
				ki.Details["can_sign"] = "no (CKA_SIGN false)"
			case !k.hasPriv && !loggedIn && tok.Flags&cki.CKF_LOGIN_REQUIRED != 0:
				ki.Details["can_sign"] = "unknown without login"
			case !k.hasPriv:
				ki.Details["can_sign"] = "no private key object"
			}
			inv.Keys = append(inv.Keys, ki)
		}
		if skipped > 0 {
			d.Details["unusable_keys"] = fmt.Sprintf("%d (unsupported curve or unreadable public key)", skipped)
		}
		inv.Devices = append(inv.Devices, d)
	}
	return inv, nil
}

// tokenKeys lists a token's keys in a read-only session without logging in.
func (b *Backend) tokenKeys(ctx context.Context, m module, path string, tok token) ([]listedKey, bool, error) {
	lk := lockFor(path, tok.Slot)
	if err := lk.lock(ctx); err != nil {
		return nil, false, err
	}
	defer lk.unlock()
	sh, err := b.session(m, tok, false, false, signer.Ref{})
	if err != nil {
		return nil, false, err
	}
	defer m.CloseSession(sh)
	loggedIn := false
	if si, err := m.GetSessionInfo(sh); err == nil {
		loggedIn = si.State == cki.CKS_RO_USER_FUNCTIONS || si.State == cki.CKS_RW_USER_FUNCTIONS
	}
	keys, err := listKeys(m, sh)
	return keys, loggedIn, err
}
