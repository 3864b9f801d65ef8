package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// planMsg answers Backend.Plan.
type planMsg struct {
	route
	view *PlanView
	err  error
}

// candidatesMsg answers the Devices read that offers new keys.
type candidatesMsg struct {
	route
	view *DevicesView
	err  error
}

type planState int

const (
	planForm planState = iota
	planLoading
	planPreview
)

// candidate is a key on a connected device the operator can pick.
type candidate struct{ key, label string }

// planScreen asks what a plan needs, previews it (diff, actions,
// findings) and offers to sign it directly or propose it, unless the safety
// rules refuse it.
type planScreen struct {
	common
	req     PlanRequest
	state   planState
	seq     int
	input   textinput.Model
	cands   []candidate
	candCur int
	candErr error
	data    *PlanView
	err     error
	scroll  int
}

func newPlan(c common, req PlanRequest) *planScreen {
	s := &planScreen{common: c, req: req}
	s.input = textinput.New()
	s.input.Prompt = "> "
	s.input.CharLimit = 120
	switch req.Kind {
	case PlanRotate:
		s.input.Placeholder = "PUB_R1_... or PUB_K1_... (or pick a device key below)"
		if req.NewKey != "" {
			s.state = planLoading
		}
	case PlanThreshold:
		s.input.Placeholder = "new threshold (a number)"
		if req.Threshold != 0 {
			s.state = planLoading
		}
	default:
		s.state = planLoading
	}
	return s
}

func (s *planScreen) title() string   { return "Plan " + string(s.req.Kind) }
func (s *planScreen) capturing() bool { return s.state == planForm }

func (s *planScreen) help() []key.Binding {
	k := s.keys.Plan
	return []key.Binding{k.Up, k.Down, k.Preview, k.Direct, k.Propose}
}

func (s *planScreen) shortHelp() []key.Binding {
	k := s.keys.Plan
	switch {
	case s.state == planForm:
		return []key.Binding{k.Preview, k.Up, k.Down}
	case s.data == nil || s.data.Refused:
		return []key.Binding{k.Up, k.Down}
	case !s.data.Direct:
		return []key.Binding{k.Propose, k.Up, k.Down}
	}
	return []key.Binding{k.Direct, k.Propose, k.Up, k.Down}
}

func (s *planScreen) init() tea.Cmd {
	if s.state == planLoading {
		return s.preview()
	}
	cmds := []tea.Cmd{s.input.Focus()}
	if s.req.Kind == PlanRotate {
		r, b := route{s.sid, s.seq}, s.backend
		cmds = append(cmds, s.io(func(ctx context.Context) tea.Msg {
			v, err := b.Devices(ctx)
			return candidatesMsg{r, v, err}
		}))
	}
	return tea.Batch(cmds...)
}

func (s *planScreen) refresh() tea.Cmd {
	if s.state == planForm {
		return nil
	}
	return s.preview()
}

func (s *planScreen) preview() tea.Cmd {
	s.seq++
	s.state = planLoading
	r, b, req := route{s.sid, s.seq}, s.backend, s.req
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Plan(ctx, req)
		return planMsg{r, v, err}
	})
}

func (s *planScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case candidatesMsg:
		s.candErr = msg.err
		if msg.view != nil {
			for _, d := range msg.view.Devices {
				for _, k := range d.Keys {
					if k.PublicKey == "" || k.PublicKey == s.req.Key {
						continue
					}
					label := d.Name
					if k.Label != "" {
						label += " " + k.Label
					}
					if k.Holder != "" {
						label = k.Holder + "'s " + label
					}
					s.cands = append(s.cands, candidate{k.PublicKey, label})
				}
			}
		}
		return nil
	case planMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.state = planPreview
		s.data, s.err = msg.view, msg.err
		s.scroll = 0
		return nil
	case SignDoneMsg:
		return nil
	case tea.KeyMsg:
		if s.state == planForm {
			return s.formKey(msg)
		}
		return s.previewKey(msg)
	}
	if s.state == planForm {
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

func (s *planScreen) formKey(msg tea.KeyMsg) tea.Cmd {
	k := s.keys.Plan
	switch {
	case msg.String() == "esc":
		return msgCmd(BackMsg{})
	case key.Matches(msg, k.Preview):
		v := strings.TrimSpace(s.input.Value())
		switch s.req.Kind {
		case PlanRotate:
			if v == "" {
				return ErrorCmd(fmt.Errorf("type the new public key, or pick one of the device keys with ↑/↓"))
			}
			s.req.NewKey = v
		case PlanThreshold:
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil || n == 0 {
				return ErrorCmd(fmt.Errorf("the threshold must be a number from 1 up, not %q", v))
			}
			s.req.Threshold = uint32(n)
		}
		s.input.Blur()
		return s.preview()
	case msg.Type == tea.KeyUp || msg.Type == tea.KeyDown:
		if len(s.cands) == 0 {
			return nil
		}
		if msg.Type == tea.KeyUp {
			s.candCur = max(0, s.candCur-1)
		} else if s.input.Value() != "" {
			s.candCur = min(len(s.cands)-1, s.candCur+1)
		}
		s.input.SetValue(s.cands[s.candCur].key)
		s.input.CursorEnd()
		return nil
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return cmd
}

func (s *planScreen) previewKey(msg tea.KeyMsg) tea.Cmd {
	k := s.keys.Plan
	switch {
	case key.Matches(msg, k.Up):
		s.scroll = max(0, s.scroll-1)
	case key.Matches(msg, k.Down):
		s.scroll++
	case key.Matches(msg, k.Direct, k.Propose):
		if s.data == nil {
			return nil
		}
		if s.data.Refused {
			return ErrorCmd(fmt.Errorf("refused: %s", s.data.RefusedReason))
		}
		kind := SignPlanPropose
		if key.Matches(msg, k.Direct) {
			if !s.data.Direct {
				return ErrorCmd(fmt.Errorf("the keys connected now cannot sign this directly: press m to propose it"))
			}
			kind = SignPlanDirect
		}
		req := s.data.Request
		return msgCmd(StartSignMsg{Request: SignRequest{Kind: kind, Account: req.Account, Plan: &req}})
	}
	return nil
}

func (s *planScreen) what() string {
	r := s.req
	switch r.Kind {
	case PlanRotate:
		to := r.NewKey
		if to == "" {
			to = "?"
		}
		return fmt.Sprintf("rotate %s → %s", shortKey(r.Key, 24), shortKey(to, 24))
	case PlanRemoveKey:
		return fmt.Sprintf("remove %s from %s", shortKey(r.Key, 24), r.Permission)
	case PlanThreshold:
		return fmt.Sprintf("change the threshold of %s", r.Permission)
	}
	return "apply the producer template"
}

func (s *planScreen) view(w, h int) string {
	st := s.styles
	out := []string{st.Title.Render(s.req.Account+": ") + s.what()}
	switch s.state {
	case planForm:
		out = append(out, "")
		if s.req.Kind == PlanRotate {
			out = append(out, "New key for "+s.req.Permission+":")
		} else {
			out = append(out, "New threshold for "+s.req.Permission+":")
		}
		out = append(out, s.input.View(), "")
		if s.req.Kind == PlanRotate {
			switch {
			case s.candErr != nil:
				out = append(out, st.Warning.Render("device keys unavailable: "+errText(s.candErr)))
			case len(s.cands) == 0:
				out = append(out, st.Subtle.Render("no other key on a connected device (bpkeys keys generate makes one)"))
			default:
				out = append(out, st.Subtle.Render("keys on connected devices (↑/↓ to pick):"))
				var rows []string
				for i, c := range s.cands {
					on := i == s.candCur && s.input.Value() == c.key
					rows = append(rows, s.cursorMark(on)+shortKey(c.key, 30)+"  "+st.Holder.Render(c.label))
				}
				out = append(out, window(rows, s.candCur, max(1, h-len(out)-2))...)
			}
		}
		out = append(out, "", st.Subtle.Render("enter: preview (nothing is signed yet) · esc: back"))
		return clip(strings.Join(out, "\n"), w, h)
	case planLoading:
		out = append(out, "", st.Subtle.Render("computing the plan…"))
		return clip(strings.Join(out, "\n"), w, h)
	}
	if s.err != nil {
		out = append(out, "")
		out = append(out, wrap(st.Error.Render(errText(s.err)), w, 2)...)
		return clip(strings.Join(out, "\n"), w, h)
	}
	d := s.data
	var body []string
	if d.Refused {
		body = append(body, wrap(st.Danger.Render("REFUSED: "+d.RefusedReason), w, 2)...)
		body = append(body, st.Subtle.Render("nothing can be signed: change the plan (esc) so the account stays usable"))
	}
	body = append(body, "", st.Title.Render("Diff"))
	if len(d.Diff) == 0 {
		body = append(body, st.Subtle.Render("  (no change)"))
	}
	for _, l := range d.Diff {
		body = append(body, wrap("  "+s.diffLine(l), w, 8)...)
	}
	body = append(body, "", st.Title.Render("Actions"))
	for _, a := range d.Actions {
		body = append(body, wrap("  "+a, w, 4)...)
	}
	body = append(body, "", st.Title.Render("Findings"))
	if len(d.Findings) == 0 {
		body = append(body, "  "+st.OK.Render("✓ none"))
	}
	for _, f := range d.Findings {
		body = append(body, wrap("  "+s.findingLine(f), w, 4)...)
	}
	if !d.Refused {
		body = append(body, "")
		if d.Direct {
			body = append(body, st.OK.Render("s: sign directly")+st.Subtle.Render(" ("+d.DirectWith+")")+"  ·  m: propose to eosio.msig")
		} else {
			body = append(body, "m: propose to eosio.msig"+st.Subtle.Render(" (the keys connected now cannot sign it alone)"))
		}
	}
	avail := h - len(out)
	if s.scroll > max(0, len(body)-avail) {
		s.scroll = max(0, len(body)-avail)
	}
	end := min(len(body), s.scroll+avail)
	out = append(out, body[s.scroll:end]...)
	return clip(strings.Join(out, "\n"), w, h)
}
