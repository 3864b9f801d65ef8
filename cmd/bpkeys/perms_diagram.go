package main

import (
	"io"

	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
	"github.com/bpkeys/bpkeys/team"
	"github.com/bpkeys/bpkeys/tui"
)

// treeView is the permission tree's one model: the TUI's tree screen and
// `perms show --format mermaid|dot` both render it. Keys are labelled from
// the team file (t may be nil) and marked connected when conn holds them.
func treeView(acct *permissions.Account, w *permissions.World, t *team.Team, conn map[signer.PublicKey]string) *tui.TreeView {
	v := &tui.TreeView{Account: acct.Name, LinksUnknown: acct.LinksUnknown}
	for _, p := range acct.Permissions {
		n := tui.PermNode{Name: p.Name, Parent: p.Parent, Depth: acct.Depth(p.Name), Threshold: p.Auth.Threshold}
		for _, k := range p.Auth.Keys {
			kn := tui.KeyNode{Key: k.String(), Weight: k.Weight}
			if k.Unsupported == "" {
				if e, ok := t.Key(k.Key); ok {
					kn.Holder, kn.Device, kn.Hardware = e.Holder, e.DeviceName(), e.Hardware
				}
				if d, ok := conn[k.Key]; ok {
					kn.Connected = true
					if kn.Device == "" {
						kn.Device = d
					}
				}
			}
			n.Keys = append(n.Keys, kn)
		}
		for _, l := range p.Auth.Accounts {
			n.Accounts = append(n.Accounts, tui.LevelNode{Level: l.Permission.String(), Weight: l.Weight})
		}
		for _, wt := range p.Auth.Waits {
			n.Waits = append(n.Waits, tui.WaitNode{Seconds: wt.WaitSec, Weight: wt.Weight})
		}
		for _, l := range p.Links {
			n.Links = append(n.Links, l.String())
		}
		v.Perms = append(v.Perms, n)
	}
	for _, l := range acct.AnyLinks {
		v.AnyLinks = append(v.AnyLinks, l.String())
	}
	v.Findings = tuiFindings(policies.BuiltIn(w, acct.Name, t))
	return v
}

// permsDiagram prints the tree as a Mermaid (in a ```mermaid block, ready
// for a Markdown page) or Graphviz diagram.
func (a *app) permsDiagram(v *tui.TreeView, format string) error {
	if format == "dot" {
		_, err := io.WriteString(a.stdout, tui.Dot(v))
		return err
	}
	_, err := io.WriteString(a.stdout, "```mermaid\n"+tui.Mermaid(v)+"```\n")
	return err
}

// keyPlaces names keys without a team file by where they sit on chain, so
// that "who can do what" reads {alice's key + bob's key} rather than a wall
// of keys: a key of another account is that account's key, a key of the
// account shown is its permission's key.
func keyPlaces(w *permissions.World, account string) permissions.HolderFunc {
	place := map[signer.PublicKey]string{}
	names := w.Names()
	// the account's own permissions first, then the others in name order
	for _, n := range append([]string{account}, names...) {
		a := w.Account(n)
		if a == nil {
			continue
		}
		for _, p := range a.Permissions {
			for _, k := range p.Auth.Keys {
				if _, ok := place[k.Key]; ok || k.Unsupported != "" {
					continue
				}
				if n == account {
					place[k.Key] = "the " + p.Name + " key"
				} else {
					place[k.Key] = n + "'s key"
				}
			}
		}
	}
	return func(k signer.PublicKey) (string, bool) {
		p, ok := place[k]
		return p, ok
	}
}
