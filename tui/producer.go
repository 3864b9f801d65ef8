package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// producerMsg answers Backend.Producer.
type producerMsg struct {
	route
	view *ProducerView
	err  error
}

type emergency int

const (
	emergencyNone emergency = iota
	emergencyNewKey
	emergencyConfirm
)

// producerScreen shows the producer row and claim schedule, and the
// emergency actions behind a deliberate confirmation: the operator types
// the account name before anything is prepared.
type producerScreen struct {
	common
	account string
	seq     int
	loading bool
	data    *ProducerView
	err     error

	stage  emergency
	kind   SignKind
	newKey string
	host   string
	input  textinput.Model
}

func newProducer(c common, account string) *producerScreen {
	s := &producerScreen{common: c, account: account}
	s.input = textinput.New()
	s.input.Prompt = "> "
	s.input.CharLimit = 120
	return s
}

func (s *producerScreen) title() string   { return "Producer " + s.account }
func (s *producerScreen) capturing() bool { return s.stage != emergencyNone }
func (s *producerScreen) init() tea.Cmd   { return s.refresh() }

func (s *producerScreen) help() []key.Binding {
	k := s.keys.Producer
	if s.data != nil && len(s.data.FailoverHosts) > 0 {
		return []key.Binding{k.Rotate, k.Unregister, k.Failover, k.Tree}
	}
	return []key.Binding{k.Rotate, k.Unregister, k.Tree}
}

func (s *producerScreen) shortHelp() []key.Binding {
	if s.stage != emergencyNone {
		return []key.Binding{s.keys.Sign.Confirm, s.keys.Sign.Cancel}
	}
	k := s.keys.Producer
	return []key.Binding{k.Rotate, k.Unregister, k.Tree, s.keys.Global.Refresh}
}

func (s *producerScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r, b, a := route{s.sid, s.seq}, s.backend, s.account
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Producer(ctx, a)
		return producerMsg{r, v, err}
	})
}

func (s *producerScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case producerMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading, s.err = false, msg.err
		if msg.err == nil {
			s.data = msg.view
		}
		return nil
	case SignDoneMsg:
		if msg.Err == nil && msg.Request.Account == s.account {
			return s.refresh()
		}
		return nil
	case tea.KeyMsg:
		if s.stage != emergencyNone {
			return s.emergencyKey(msg)
		}
		k := s.keys.Producer
		switch {
		case key.Matches(msg, k.Tree):
			return msgCmd(ShowTreeMsg{Account: s.account})
		case key.Matches(msg, k.Rotate):
			s.kind, s.stage = SignRotateKey, emergencyNewKey
			s.input.Placeholder = "new block-signing public key (PUB_K1_... / PUB_R1_...)"
			s.input.SetValue("")
			return s.input.Focus()
		case key.Matches(msg, k.Unregister):
			if s.data != nil && !s.data.Registered {
				return ErrorCmd(fmt.Errorf("%s is not a registered producer", s.account))
			}
			s.kind, s.stage = SignUnregister, emergencyConfirm
			s.input.Placeholder = "type the account name to confirm"
			s.input.SetValue("")
			return s.input.Focus()
		case key.Matches(msg, k.Failover):
			if s.data == nil || len(s.data.FailoverHosts) == 0 {
				return ErrorCmd(fmt.Errorf("no host to fail over to: the team file (--team) needs hosts with block_key and finalizer_keys"))
			}
			s.kind, s.stage = SignFailover, emergencyNewKey
			s.input.Placeholder = "host to switch to (" + strings.Join(s.data.FailoverHosts, ", ") + ")"
			s.input.SetValue("")
			return s.input.Focus()
		}
		return nil
	}
	if s.stage != emergencyNone {
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

func (s *producerScreen) emergencyKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case msg.String() == "esc":
		s.stage = emergencyNone
		s.input.Blur()
		return nil
	case key.Matches(msg, s.keys.Sign.Confirm):
		v := strings.TrimSpace(s.input.Value())
		if s.stage == emergencyNewKey && s.kind == SignFailover {
			if !slices.Contains(s.data.FailoverHosts, v) {
				return ErrorCmd(fmt.Errorf("type one of the hosts: %s", strings.Join(s.data.FailoverHosts, ", ")))
			}
			s.host, s.stage = v, emergencyConfirm
			s.input.Placeholder = s.account
			s.input.SetValue("")
			return nil
		}
		if s.stage == emergencyNewKey {
			if v == "" {
				return ErrorCmd(fmt.Errorf("type the new block-signing public key (generate one on the HSM with bpkeys keys generate)"))
			}
			s.newKey, s.stage = v, emergencyConfirm
			s.input.Placeholder = "type the account name to confirm"
			s.input.SetValue("")
			return nil
		}
		if v != s.account {
			return ErrorCmd(fmt.Errorf("type the account name %s exactly to confirm (esc to cancel)", s.account))
		}
		s.stage = emergencyNone
		s.input.Blur()
		return msgCmd(StartSignMsg{Request: SignRequest{Kind: s.kind, Account: s.account, NewKey: s.newKey, Host: s.host}})
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *producerScreen) view(w, h int) string {
	st := s.styles
	if s.stage != emergencyNone {
		out := []string{st.Danger.Render("EMERGENCY ACTION"), ""}
		switch s.kind {
		case SignRotateKey:
			out = append(out, wrap(fmt.Sprintf("Rotate the block-signing key of %s (regproducer). Blocks will be signed with the new key from the next schedule.", s.account), w, 0)...)
		case SignFailover:
			out = append(out, wrap(fmt.Sprintf("Fail %s over to another host in one transaction: its finalizer key becomes active (actfinkey) and its block-signing key signs blocks (regproducer2). Stop the old host's producer and finalizer first: one finalizer key on two running nodes is double voting.", s.account), w, 0)...)
		default:
			out = append(out, wrap(fmt.Sprintf("Unregister %s (unregprod): it stops producing blocks until it registers again.", s.account), w, 0)...)
		}
		out = append(out, "")
		if s.stage == emergencyNewKey && s.kind == SignFailover {
			out = append(out, "Host:")
		} else if s.stage == emergencyNewKey {
			out = append(out, "New signing key:")
		} else {
			if s.kind == SignFailover {
				out = append(out, "host "+s.host, "")
			}
			if s.newKey != "" && s.kind == SignRotateKey {
				out = append(out, "new key "+shortKey(s.newKey, 40), "")
			}
			out = append(out, fmt.Sprintf("Type %s to confirm:", st.Title.Render(s.account)))
		}
		out = append(out, s.input.View(), "", st.Subtle.Render("enter: continue (you will see what is signed first) · esc: cancel"))
		return clip(strings.Join(out, "\n"), w, h)
	}
	if s.data == nil {
		return s.loadState(s.loading, s.err, "the producer row", w)
	}
	d := s.data
	out := []string{st.Title.Render(d.Account)}
	if s.err != nil {
		out = append(out, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	kv := func(k, v string) { out = append(out, wrap(fmt.Sprintf("  %-14s %s", k, v), w, 17)...) }
	switch {
	case !d.Registered:
		kv("status", st.Warning.Render("not a registered producer"))
	case d.Active:
		kv("status", st.OK.Render("active producer"))
	default:
		kv("status", st.Warning.Render("registered, inactive (unregistered)"))
	}
	if d.Registered {
		if len(d.SigningKeys) == 0 {
			kv("signing key", st.Warning.Render("none"))
		}
		for i, k := range d.SigningKeys {
			label := "signing key"
			if i > 0 {
				label = ""
			}
			kv(label, k)
		}
		if len(d.SigningKeys) > 1 {
			kv("threshold", fmt.Sprint(d.Threshold))
		}
		kv("url", d.URL)
		kv("unpaid blocks", fmt.Sprint(d.UnpaidBlocks))
		kv("last claim", stamp(d.LastClaim))
		next := stamp(d.NextClaim)
		if d.ClaimNow {
			if stamp(d.LastClaim) == "never" {
				next = "" // not a day after 1970
			}
			next += "  " + st.OK.Render("(allowed now)")
		} else if !d.HeadTime.IsZero() {
			next += st.Subtle.Render("  (in " + age(d.NextClaim.Sub(d.HeadTime)) + ")")
		}
		kv("next claim", next)
		kv("chain time", stamp(d.HeadTime))
	}
	out = append(out, "", st.Title.Render("Permissions"))
	kv("rotate key", d.RotatePerm+st.Subtle.Render("  (eosio::regproducer)"))
	kv("unregister", d.UnregisterPerm+st.Subtle.Render("  (eosio::unregprod)"))
	kv("claim", d.ClaimPerm+st.Subtle.Render("  (eosio::claimrewards)"))
	if len(d.FinalizerKeys) > 0 || d.FinalizerNote != "" || d.PeerKey != "" || len(d.Hosts) > 0 {
		out = append(out, "", st.Title.Render("Savanna keys"))
		if d.FinalizerNote != "" {
			out = append(out, wrap("  "+d.FinalizerNote, w, 2)...)
		}
		for i, k := range d.FinalizerKeys {
			label := "finalizer"
			if i > 0 {
				label = ""
			}
			kv(label, k)
		}
		if d.PeerKey != "" {
			kv("peer key", d.PeerKey)
		}
		if len(d.Hosts) > 0 {
			kv("hosts", strings.Join(d.Hosts, ", "))
		}
		for _, f := range d.Findings {
			out = append(out, wrap("  "+st.Warning.Render(f), w, 2)...)
		}
	}
	out = append(out, "", st.Danger.Render("Emergency")+st.Subtle.Render("  (each asks you to type the account name)"))
	out = append(out, "  K  rotate the block-signing key", "  U  unregister (stop producing)")
	if len(d.FailoverHosts) > 0 {
		out = append(out, "  F  fail over to another host ("+strings.Join(d.FailoverHosts, ", ")+")")
	}
	return clip(strings.Join(out, "\n"), w, h)
}
