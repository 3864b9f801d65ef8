package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// preparedMsg answers Backend.PrepareSign.
type preparedMsg struct {
	route
	preview *SignPreview
	err     error
}

// signedMsg answers Backend.Sign.
type signedMsg struct {
	route
	result *SignResult
	err    error
}

type signState int

const (
	signPreparing signState = iota // building the transaction
	signReview                     // showing what will be signed
	signPIN                        // collecting PINs
	signSigning                    // the device is at work
	signDone
	signFailed
)

// signScreen is the signing flow every action shares: what will be
// signed, a confirmation, the PIN in our own masked input, "touch your
// YubiKey" before the device is asked, a spinner, then the transaction id
// or an error saying what to do.
type signScreen struct {
	common
	req     SignRequest
	state   signState
	preview *SignPreview
	pins    []string
	pinFor  int // index in preview.Signers being asked
	input   textinput.Model
	spin    spinner.Model
	result  *SignResult
	err     error
	started bool // Sign was called: never twice
	cut     bool // the summary has not been shown whole yet
	// scroll is the first summary line shown; seen is how many lines of
	// it have been on screen (a tall summary is read by scrolling).
	scroll, seen int
}

func newSign(c common, req SignRequest) *signScreen {
	s := &signScreen{common: c, req: req}
	s.input = textinput.New()
	s.input.Prompt = "PIN: "
	s.input.EchoMode = textinput.EchoPassword
	s.input.EchoCharacter = '•'
	s.input.CharLimit = 64
	s.spin = spinner.New(spinner.WithSpinner(spinner.Line), spinner.WithStyle(c.styles.Touch))
	return s
}

func (s *signScreen) title() string { return "Sign: " + describe(s.req) }

// busy is true while the device or the chain is working on the signature.
func (s *signScreen) busy() bool { return s.state == signSigning }

func (s *signScreen) capturing() bool { return s.state == signPIN || s.state == signSigning }

func (s *signScreen) help() []key.Binding {
	k := s.keys.Sign
	return []key.Binding{k.Confirm, k.Cancel, k.Down, k.Up}
}

func (s *signScreen) shortHelp() []key.Binding {
	k := s.keys.Sign
	switch s.state {
	case signSigning:
		return nil
	case signDone, signFailed:
		c := k.Confirm
		c.SetHelp("enter", "back")
		return []key.Binding{c}
	}
	if s.cut {
		return []key.Binding{k.Down, k.Up, k.Cancel}
	}
	return []key.Binding{k.Confirm, k.Cancel}
}

func (s *signScreen) init() tea.Cmd {
	r, b, req := route{s.sid, 0}, s.backend, s.req
	return tea.Batch(s.spin.Tick, s.io(func(ctx context.Context) tea.Msg {
		p, err := b.PrepareSign(ctx, req)
		return preparedMsg{r, p, err}
	}))
}

// refresh prepares the transaction again (a fresh expiration) while it is
// only being reviewed.
func (s *signScreen) refresh() tea.Cmd {
	if s.state != signReview && s.state != signFailed || s.started {
		return nil
	}
	s.state = signPreparing
	return s.init()
}

func (s *signScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case preparedMsg:
		if s.state != signPreparing {
			return nil
		}
		if msg.err != nil {
			s.state, s.err = signFailed, fmt.Errorf("preparing the transaction: %w", msg.err)
			return nil
		}
		s.preview, s.state = msg.preview, signReview
		s.scroll, s.seen = 0, 0
		return nil
	case signedMsg:
		s.pins = nil
		if msg.err != nil {
			s.state, s.err = signFailed, msg.err
		} else {
			s.state, s.result = signDone, msg.result
		}
		return msgCmd(SignDoneMsg{Request: s.req, Result: msg.result, Err: msg.err})
	case spinner.TickMsg:
		if s.state != signPreparing && s.state != signSigning {
			return nil
		}
		var cmd tea.Cmd
		s.spin, cmd = s.spin.Update(msg)
		return cmd
	case tea.KeyMsg:
		return s.key(msg)
	}
	if s.state == signPIN {
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

func (s *signScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys.Sign
	switch s.state {
	case signSigning:
		return nil // the device is at work: keys wait (ctrl+c quits)
	case signDone, signFailed:
		if key.Matches(msg, k.Confirm) {
			return msgCmd(BackMsg{})
		}
	case signReview:
		switch {
		case key.Matches(msg, k.Down):
			s.scroll++ // the view clamps it
			return nil
		case key.Matches(msg, k.Up):
			s.scroll = max(0, s.scroll-1)
			return nil
		}
		if key.Matches(msg, k.Confirm) {
			if s.cut {
				return ErrorCmd(fmt.Errorf("the summary of what will be signed has not been shown whole: read it to the end with ↓ (or make the terminal larger), then sign"))
			}
			s.pins = make([]string, len(s.preview.Signers))
			s.pinFor = -1
			return s.nextPIN()
		}
	case signPIN:
		switch {
		case msg.String() == "esc":
			s.pins, s.state = nil, signReview
			s.input.Reset()
			s.input.Blur()
			return nil
		case key.Matches(msg, k.Confirm):
			if s.input.Value() == "" {
				return ErrorCmd(fmt.Errorf("type the PIN of %s (esc to cancel)", s.preview.Signers[s.pinFor].Label))
			}
			s.pins[s.pinFor] = s.input.Value()
			s.input.Reset()
			return s.nextPIN()
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	return nil
}

// nextPIN asks for the next signer's PIN, or starts signing when every PIN
// is in. The view shows "Touch your YubiKey" from the moment the state
// changes, before the command that calls the device runs.
func (s *signScreen) nextPIN() tea.Cmd {
	for i := s.pinFor + 1; i < len(s.preview.Signers); i++ {
		if s.preview.Signers[i].NeedsPIN {
			s.pinFor, s.state = i, signPIN
			return s.input.Focus()
		}
	}
	s.input.Blur()
	if s.started {
		return ErrorCmd(fmt.Errorf("this transaction was already sent to the device"))
	}
	s.started = true
	s.state = signSigning
	r, b, p, pins := route{s.sid, 0}, s.backend, s.preview, s.pins
	return tea.Batch(s.spin.Tick, s.ioTimeout(s.opts.SignTimeout, func(ctx context.Context) tea.Msg {
		res, err := b.Sign(ctx, p, pins)
		return signedMsg{r, res, err}
	}))
}

// describe names a request in words.
func describe(r SignRequest) string {
	switch r.Kind {
	case SignPlanDirect:
		return "plan for " + r.Account
	case SignPlanPropose:
		return "propose plan for " + r.Account
	case SignApprove:
		return "approve " + r.Proposer + "/" + r.Proposal
	case SignUnapprove:
		return "unapprove " + r.Proposer + "/" + r.Proposal
	case SignExec:
		return "execute " + r.Proposer + "/" + r.Proposal
	case SignCancel:
		return "cancel " + r.Proposer + "/" + r.Proposal
	case SignRotateKey:
		return "rotate the signing key of " + r.Account
	case SignUnregister:
		return "unregister " + r.Account
	case SignFailover:
		return "fail " + r.Account + " over to host " + r.Host
	}
	return string(r.Kind)
}

func (s *signScreen) view(w, h int) string {
	st := s.styles
	out := []string{st.Title.Render(capitalize(describe(s.req)))}
	if s.state == signPreparing {
		out = append(out, "", s.spin.View()+" building the transaction…")
		return clip(strings.Join(out, "\n"), w, h)
	}
	if s.preview == nil && errors.Is(s.err, ErrAlreadyProposed) {
		out = append(out, "")
		out = append(out, wrap(st.Warning.Render("! Already proposed: "+errText(s.err)), w, 2)...)
		out = append(out, "")
		out = append(out, wrap("Nothing was signed. A second proposal of the same transaction could be executed twice: approve the one on chain from the inbox (enter, then 3) instead.", w, 0)...)
		out = append(out, "", "press enter to go back")
		return clip(strings.Join(out, "\n"), w, h)
	}
	if s.preview == nil {
		out = append(out, "")
		out = append(out, wrap(st.Error.Render("✗ "+errText(s.err)), w, 2)...)
		out = append(out, "", "press enter to go back")
		return clip(strings.Join(out, "\n"), w, h)
	}
	p := s.preview
	narrow := 0 // the width a value shortened to fit would need
	wrapW := func(line string, w, indent int) []string {
		l, n := wrapFit(line, w, indent)
		narrow = max(narrow, n)
		return l
	}
	var what []string
	what = append(what, "", st.Title.Render("What will be signed"))
	what = append(what, wrapW("  chain       "+p.ChainID, w, 14)...)
	what = append(what, wrapW("  digest      "+p.Digest, w, 14)...)
	what = append(what, "  expires     "+stamp(p.Expiration))
	for i, a := range p.Actions {
		label := "  actions     "
		if i > 0 {
			label = "              "
		}
		what = append(what, wrapW(label+a, w, 14)...)
	}
	for i, sg := range p.Signers {
		label := "  signed by   "
		if i > 0 {
			label = "              "
		}
		tags := []string{}
		if sg.NeedsPIN {
			tags = append(tags, "PIN")
		}
		if sg.NeedsTouch {
			tags = append(tags, "touch")
		}
		line := label + sg.Label
		if len(tags) > 0 {
			line += st.Subtle.Render("  (" + strings.Join(tags, ", ") + ")")
		}
		what = append(what, wrapW(line, w, 14)...)
	}
	var tail []string
	switch s.state {
	case signReview:
		tail = append(tail, "", st.Touch.Render("Press enter to sign this, esc to cancel."))
	case signPIN:
		sg := p.Signers[s.pinFor]
		tail = append(tail, "", "PIN of "+st.Holder.Render(sg.Label)+st.Subtle.Render(" (typed here, never shown, never stored)"), s.input.View())
	case signSigning:
		if p.NeedsTouch() {
			for _, sg := range p.Signers {
				if sg.NeedsTouch {
					tail = append(tail, "", st.Touch.Render("▶ Touch your YubiKey now")+" "+st.Subtle.Render("("+sg.Label+")"))
					break
				}
			}
		}
		tail = append(tail, "", s.spin.View()+" signing and sending… (the device may take a few seconds)")
	case signDone:
		tail = append(tail, "", st.OK.Render("✓ Done."))
		if s.result != nil {
			tail = append(tail, wrap("  transaction "+s.result.TxID, w, 14)...)
			for _, n := range s.result.Notes {
				tail = append(tail, wrap("  "+n, w, 2)...)
			}
		}
		tail = append(tail, "", st.Subtle.Render("press enter to go back"))
	case signFailed:
		tail = append(tail, "")
		tail = append(tail, wrap(st.Error.Render("✗ "+errText(s.err)), w, 2)...)
		tail = append(tail, "", st.Subtle.Render("nothing was sent unless a transaction id is shown above; press enter to go back"))
	}
	// keep the prompt and the result visible: trim the summary first
	room := h - len(out) - len(tail)
	s.cut = false
	if s.state == signReview && narrow > 0 {
		// A key or hash shortened to fit is not the whole summary either.
		s.cut = true
		tail = []string{"", st.Error.Render(fmt.Sprintf("The summary does not fit: make the terminal %d columns wide to see it all and sign (esc to cancel).", narrow))}
		room = h - len(out) - len(tail)
	}
	if room < len(what) {
		if s.state == signReview && !s.cut {
			// A summary taller than the terminal is read by scrolling: it
			// can be confirmed once every line has been on screen.
			hint := []string{"", ""}
			room = h - len(out) - len(tail) - len(hint)
			if room < 1 {
				s.cut = true
				tail = []string{"", st.Error.Render("The summary does not fit: make the terminal taller to see it and sign (esc to cancel).")}
				room = h - len(out) - len(tail)
				what = what[:max(0, room)]
				out = append(append(out, what...), tail...)
				return clip(strings.Join(out, "\n"), w, h)
			}
			total := len(what)
			s.scroll = min(s.scroll, total-room)
			what = what[s.scroll : s.scroll+room]
			s.seen = max(s.seen, s.scroll+room)
			left := total - s.seen
			if left > 0 {
				s.cut = true
				hint[1] = st.Warning.Render(fmt.Sprintf("↓/j: %d more line%s of the summary to read before it can be signed (esc to cancel)", left, plural(left)))
				tail = hint
			} else {
				hint[1] = st.Subtle.Render(fmt.Sprintf("lines %d-%d of the summary (↑/↓ to scroll); all of it has been shown", s.scroll+1, s.scroll+room))
				tail = append(hint, tail...)
			}
			out = append(append(out, what...), tail...)
			return clip(strings.Join(out, "\n"), w, h)
		}
		if s.state == signReview {
			s.cut = true
		}
		what = what[:max(0, room)]
	}
	out = append(append(out, what...), tail...)
	return clip(strings.Join(out, "\n"), w, h)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
