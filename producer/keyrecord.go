package producer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeyRecord writes down a new block-signing key for the node operator: the
// public key and where its private half lives (a device reference). It never
// holds a private key.
type KeyRecord struct {
	Account string    `json:"account"`
	Time    time.Time `json:"time"`
	// PublicKey is the new key (PUB_K1_/PUB_R1_), LegacyKey its EOS... form
	// for K1 (what nodeos's signature-provider config shows).
	PublicKey string `json:"public_key"`
	LegacyKey string `json:"legacy_public_key,omitempty"`
	Curve     string `json:"curve"`
	// Where is the device reference holding the private key, or a note
	// that the key was given on the command line.
	Where string `json:"where"`
	// Authority is the whole new block-signing authority.
	Authority Authority `json:"block_signing_authority"`
	OldKeys   []string  `json:"old_keys,omitempty"`
	Action    string    `json:"action,omitempty"`
	Via       Via       `json:"via,omitempty"`
	TrxID     string    `json:"trx_id,omitempty"`
	Proposal  string    `json:"proposal,omitempty"`
	// Status is generated (the key exists, nothing sent), pending (sent or
	// proposed, the producers table does not show it yet: keep the old key
	// on the node) or installed-ready (the producers table shows it:
	// install it on the producing node).
	Status string `json:"status"`
}

// Key record statuses.
const (
	KeyGenerated      = "generated"
	KeyPending        = "pending"
	KeyInstalledReady = "installed-ready"
)

// KeyRecordDir is the directory of key records under a state directory.
func KeyRecordDir(stateDir string) string { return filepath.Join(stateDir, "producer-keys") }

// WriteKeyRecord writes r as dir/ACCOUNT-TIME.json (atomically, 0600) and
// returns the file name. Writing the same record again (same account and
// time) replaces the file, so a record is updated as the rotation proceeds.
func WriteKeyRecord(dir string, r KeyRecord) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	name := filepath.Join(dir, fmt.Sprintf("%s-%s.json", r.Account, strings.ReplaceAll(r.Time.UTC().Format("20060102T150405.000Z"), ".", "")))
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".keyrecord*")
	if err != nil {
		return "", fmt.Errorf("writing the key record: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the key record: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("writing the key record: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("writing the key record: %w", err)
	}
	if err := os.Rename(f.Name(), name); err != nil {
		return "", fmt.Errorf("writing the key record: %w", err)
	}
	return name, nil
}
