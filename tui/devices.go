package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// devicesMsg answers Backend.Devices.
type devicesMsg struct {
	route
	view *DevicesView
	err  error
}

// devicesScreen lists the YubiKeys and PKCS#11 tokens connected now and
// the keys on the selected one.
type devicesScreen struct {
	common
	seq     int
	loading bool
	data    *DevicesView
	err     error
	cur     int // device
	kcur    int // key
	focus   int // 0 devices, 1 keys
}

func newDevices(c common) *devicesScreen { return &devicesScreen{common: c} }

func (s *devicesScreen) title() string       { return "Devices" }
func (s *devicesScreen) capturing() bool     { return false }
func (s *devicesScreen) init() tea.Cmd       { return s.refresh() }
func (s *devicesScreen) help() []key.Binding { return s.keys.Devices.bindings() }

func (s *devicesScreen) shortHelp() []key.Binding {
	k := s.keys.Devices
	return []key.Binding{k.Up, k.Down, s.keys.Global.Next, s.keys.Global.Refresh}
}

func (s *devicesScreen) refresh() tea.Cmd {
	s.seq++
	s.loading = true
	r, b := route{s.sid, s.seq}, s.backend
	return s.io(func(ctx context.Context) tea.Msg {
		v, err := b.Devices(ctx)
		return devicesMsg{r, v, err}
	})
}

func (s *devicesScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case devicesMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.loading, s.err = false, msg.err
		if msg.err == nil {
			s.data = msg.view
			if s.cur >= len(s.data.Devices) {
				s.cur, s.kcur = 0, 0
			}
		}
	case tea.KeyMsg:
		if s.data == nil {
			return nil
		}
		k := s.keys.Devices
		switch {
		case key.Matches(msg, s.keys.Global.Next):
			s.focus = 1 - s.focus
		case s.focus == 0 && key.Matches(msg, k.Open):
			s.focus = 1
		case s.focus == 0:
			if c, ok := moveCursor(k, msg, s.cur, len(s.data.Devices)); ok && c != s.cur {
				s.cur, s.kcur = c, 0
			}
		default:
			if d, ok := s.device(); ok {
				s.kcur, _ = moveCursor(k, msg, s.kcur, len(d.Keys))
			}
		}
	}
	return nil
}

func (s *devicesScreen) device() (DeviceView, bool) {
	if s.data == nil || s.cur >= len(s.data.Devices) {
		return DeviceView{}, false
	}
	return s.data.Devices[s.cur], true
}

func (s *devicesScreen) view(w, h int) string {
	if s.data == nil {
		return s.loadState(s.loading, s.err, "devices", w)
	}
	st := s.styles
	var out []string
	if s.err != nil {
		out = append(out, st.Error.Render("refresh failed: "+errText(s.err)))
	}
	for _, e := range s.data.Errors {
		out = append(out, wrap(st.Warning.Render("! "+e), w, 2)...)
	}
	out = append(out, s.section(fmt.Sprintf("Devices connected (%d)", len(s.data.Devices)), s.focus == 0))
	if len(s.data.Devices) == 0 {
		out = append(out, st.Subtle.Render("  no YubiKey or PKCS#11 token found: plug one in and press r"))
		return clip(strings.Join(out, "\n"), w, h)
	}
	var devs []string
	for i, d := range s.data.Devices {
		kind := "YubiKey"
		if d.Scheme == "pkcs11" {
			kind = "PKCS#11"
		}
		line := fmt.Sprintf("%-8s %s", kind, d.Name)
		if d.Serial != "" && !strings.Contains(d.Name, d.Serial) {
			line += " #" + d.Serial
		}
		if d.Firmware != "" {
			line += "  fw " + d.Firmware
		}
		if d.PINRetries != "" {
			r := "PIN retries " + d.PINRetries
			if d.PINRetries == "0" || d.PINRetries == "1" {
				r = st.Error.Render(r)
			}
			line += "  " + r
		}
		line += st.Subtle.Render(fmt.Sprintf("  %d key%s", len(d.Keys), plural(len(d.Keys))))
		line = s.cursorMark(i == s.cur) + line
		if i == s.cur && s.focus == 0 {
			line = st.Selected.Render(line)
		}
		devs = append(devs, line)
	}
	devH := min(len(devs), max(2, (h-len(out))/3))
	out = append(out, window(devs, s.cur, devH)...)
	d, _ := s.device()
	out = append(out, "", s.section("Keys on "+d.Name, s.focus == 1))
	if len(d.Keys) == 0 {
		out = append(out, st.Subtle.Render("  no key on this device"))
	}
	var keys []string
	cur := 0
	for i, k := range d.Keys {
		if i == s.kcur {
			cur = len(keys)
		}
		head := s.cursorMark(i == s.kcur && s.focus == 1) + fmt.Sprintf("%-6s %s", k.Label, st.Key.Render(shortKey(k.PublicKey, 30)))
		if k.Holder != "" {
			head += "  " + st.Holder.Render(k.Holder)
		}
		keys = append(keys, head)
		att := k.Attestation
		switch {
		case att == "":
			att = "attestation: none"
		case strings.HasPrefix(att, "verified"):
			att = st.OK.Render("✓ attestation " + att)
		default:
			att = st.Warning.Render("attestation: " + att)
		}
		detail := "         " + att
		var pol []string
		if k.PINPolicy != "" {
			pol = append(pol, "PIN "+k.PINPolicy)
		}
		if k.TouchPolicy != "" {
			pol = append(pol, "touch "+k.TouchPolicy)
		}
		if len(pol) > 0 {
			detail += st.Subtle.Render("  " + strings.Join(pol, ", "))
		}
		keys = append(keys, detail)
		used := "not used by any account the team watches"
		if len(k.UsedIn) > 0 {
			used = "used in " + strings.Join(k.UsedIn, ", ")
		}
		keys = append(keys, "         "+st.Subtle.Render(used))
	}
	out = append(out, window(keys, cur+2, h-len(out))...)
	return clip(strings.Join(out, "\n"), w, h)
}
