package tui

import "github.com/charmbracelet/lipgloss"

// Styles are every style the screens use, in one place. Colours degrade
// with the terminal's profile (NO_COLOR gives plain text); nothing relies
// on colour alone: the cursor is also a "›" and findings also say "error"
// or "warning".
type Styles struct {
	App, Header, Tab, ActiveTab, Footer lipgloss.Style
	Title, Subtle, Selected, Cursor     lipgloss.Style
	Error, Warning, OK, Added, Removed  lipgloss.Style
	Changed, Key, Holder, Connected     lipgloss.Style
	Box, FocusedBox, Danger, Touch      lipgloss.Style
	HelpKey, HelpDesc                   lipgloss.Style
}

// DefaultStyles are bpkeys' styles.
func DefaultStyles() Styles {
	accent := lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A48BFF"}
	subtle := lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#8A8A8A"}
	red := lipgloss.AdaptiveColor{Light: "#B00020", Dark: "#FF6B6B"}
	yellow := lipgloss.AdaptiveColor{Light: "#8A6D00", Dark: "#E5C07B"}
	green := lipgloss.AdaptiveColor{Light: "#1B7F3B", Dark: "#7BD88F"}
	blue := lipgloss.AdaptiveColor{Light: "#1E5AA8", Dark: "#7FB3FF"}
	return Styles{
		App:        lipgloss.NewStyle(),
		Header:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		Tab:        lipgloss.NewStyle().Foreground(subtle),
		ActiveTab:  lipgloss.NewStyle().Bold(true).Foreground(accent),
		Footer:     lipgloss.NewStyle().Foreground(subtle),
		Title:      lipgloss.NewStyle().Bold(true),
		Subtle:     lipgloss.NewStyle().Foreground(subtle),
		Selected:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Cursor:     lipgloss.NewStyle().Foreground(accent),
		Error:      lipgloss.NewStyle().Foreground(red),
		Warning:    lipgloss.NewStyle().Foreground(yellow),
		OK:         lipgloss.NewStyle().Foreground(green),
		Added:      lipgloss.NewStyle().Foreground(green),
		Removed:    lipgloss.NewStyle().Foreground(red),
		Changed:    lipgloss.NewStyle().Foreground(yellow),
		Key:        lipgloss.NewStyle().Foreground(blue),
		Holder:     lipgloss.NewStyle().Foreground(accent),
		Connected:  lipgloss.NewStyle().Foreground(green),
		Box:        lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(subtle),
		FocusedBox: lipgloss.NewStyle().Border(lipgloss.NormalBorder()).BorderForeground(accent),
		Danger:     lipgloss.NewStyle().Bold(true).Foreground(red),
		Touch:      lipgloss.NewStyle().Bold(true).Foreground(yellow),
		HelpKey:    lipgloss.NewStyle().Foreground(accent),
		HelpDesc:   lipgloss.NewStyle().Foreground(subtle),
	}
}
