package permissions

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bpkeys/bpkeys/signer"
)

// LabelFunc describes a key for an operator, such as "alice's YubiKey
// 12345678 slot 9c"; "" when there is nothing to say.
type LabelFunc func(signer.PublicKey) string

func keyText(k KeyWeight) string {
	if k.Unsupported != "" {
		return k.Unsupported
	}
	return k.Key.String() // one form for every key, K1 and R1 alike: PUB_K1_..., PUB_R1_...
}

func keyLine(k KeyWeight, label LabelFunc) string {
	s := fmt.Sprintf("key %s weight %d", keyText(k), k.Weight)
	if label != nil && k.Unsupported == "" {
		if l := label(k.Key); l != "" {
			s += "  (" + l + ")"
		}
	}
	return s
}

func permHeader(p *Permission) string {
	s := fmt.Sprintf("%s  threshold %d", p.Name, p.Auth.Threshold)
	if p.Parent != "" {
		s += ", parent " + p.Parent
	}
	return s
}

// Render writes the tree: each permission with its threshold, weighted
// keys (labelled), account levels, waits and linked actions, children
// indented under their parent.
func Render(w io.Writer, a *Account, label LabelFunc) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", a.Name)
	var walk func(name, indent string)
	walk = func(name, indent string) {
		p := a.Perm(name)
		fmt.Fprintf(&b, "%s%s\n", indent, permHeader(p))
		in := indent + "    "
		for _, k := range p.Auth.Keys {
			fmt.Fprintf(&b, "%s%s\n", in, keyLine(k, label))
		}
		for _, l := range p.Auth.Accounts {
			fmt.Fprintf(&b, "%saccount %s weight %d\n", in, l.Permission, l.Weight)
		}
		for _, wt := range p.Auth.Waits {
			fmt.Fprintf(&b, "%swait %ds weight %d (never counts: delayed transactions are disabled)\n", in, wt.WaitSec, wt.Weight)
		}
		for _, l := range p.Links {
			fmt.Fprintf(&b, "%slinked %s\n", in, l)
		}
		for _, c := range a.Children(name) {
			walk(c, indent+"  ")
		}
	}
	if a.Perm(Owner) != nil {
		walk(Owner, "  ")
	}
	for _, l := range a.AnyLinks {
		fmt.Fprintf(&b, "  eosio.any (any permission)\n    linked %s\n", l)
	}
	if a.LinksUnknown {
		fmt.Fprintf(&b, "  (the node did not report linked actions)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Diff describes the changes from before to after, one line each: "+" for
// what is added, "-" for what is removed, "~" for a permission that
// changes.
func Diff(before, after *Account, label LabelFunc) []string {
	var out []string
	for _, p := range after.Permissions {
		bp := before.Perm(p.Name)
		if bp == nil {
			out = append(out, "+ "+permHeader(&p))
			for _, k := range p.Auth.Keys {
				out = append(out, "    + "+keyLine(k, label))
			}
			for _, l := range p.Auth.Accounts {
				out = append(out, fmt.Sprintf("    + account %s weight %d", l.Permission, l.Weight))
			}
			continue
		}
		if bp.Auth.Equal(p.Auth) {
			continue
		}
		out = append(out, "~ "+p.Name)
		if bp.Auth.Threshold != p.Auth.Threshold {
			out = append(out, fmt.Sprintf("    ~ threshold %d -> %d", bp.Auth.Threshold, p.Auth.Threshold))
		}
		for _, k := range bp.Auth.Keys {
			if !slices.Contains(p.Auth.Keys, k) {
				out = append(out, "    - "+keyLine(k, label))
			}
		}
		for _, k := range p.Auth.Keys {
			if !slices.Contains(bp.Auth.Keys, k) {
				out = append(out, "    + "+keyLine(k, label))
			}
		}
		for _, l := range bp.Auth.Accounts {
			if !slices.Contains(p.Auth.Accounts, l) {
				out = append(out, fmt.Sprintf("    - account %s weight %d", l.Permission, l.Weight))
			}
		}
		for _, l := range p.Auth.Accounts {
			if !slices.Contains(bp.Auth.Accounts, l) {
				out = append(out, fmt.Sprintf("    + account %s weight %d", l.Permission, l.Weight))
			}
		}
	}
	for _, p := range before.Permissions {
		if after.Perm(p.Name) == nil {
			out = append(out, "- "+permHeader(&p))
		}
	}
	bl, al := before.Links(), after.Links()
	var links []Link
	for l := range bl {
		links = append(links, l)
	}
	for l := range al {
		if _, ok := bl[l]; !ok {
			links = append(links, l)
		}
	}
	slices.SortFunc(links, compareLinks)
	for _, l := range links {
		b, inB := bl[l]
		af, inA := al[l]
		switch {
		case inB && !inA:
			out = append(out, fmt.Sprintf("- link %s (was %s)", l, b))
		case !inB && inA:
			out = append(out, fmt.Sprintf("+ link %s -> %s", l, af))
		case b != af:
			out = append(out, fmt.Sprintf("~ link %s: %s -> %s", l, b, af))
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}
