package tui

import tea "github.com/charmbracelet/bubbletea"

// Navigation messages: any screen (or a test) sends them to the root
// model, which opens the screen.
type (
	// ShowAccountsMsg opens the Accounts screen.
	ShowAccountsMsg struct{}
	// ShowTreeMsg opens an account's permission tree.
	ShowTreeMsg struct{ Account string }
	// ShowDevicesMsg opens the Devices screen.
	ShowDevicesMsg struct{}
	// ShowPlanMsg opens the Plan screen for a request (its NewKey or
	// Threshold may still be empty: the screen asks).
	ShowPlanMsg struct{ Request PlanRequest }
	// ShowInboxMsg opens the proposals inbox.
	ShowInboxMsg struct{}
	// ShowReviewMsg opens the review of one proposal.
	ShowReviewMsg struct{ Proposer, Name string }
	// ShowProducerMsg opens an account's Producer screen.
	ShowProducerMsg struct{ Account string }
	// StartSignMsg opens the signing flow for a request. It is refused
	// while another signature is in flight.
	StartSignMsg struct{ Request SignRequest }
	// BackMsg returns to the previous screen (quits on the first).
	BackMsg struct{}
)

// SignDoneMsg is the signing flow's result, sent when the transaction was
// pushed or the signature failed. The root passes it to every screen so they
// can refresh.
type SignDoneMsg struct {
	Request SignRequest
	Result  *SignResult
	Err     error
}

// ErrorMsg is an error to show in the status line until the next key.
type ErrorMsg struct{ Err error }

// ErrorCmd returns a command that reports err.
func ErrorCmd(err error) tea.Cmd { return func() tea.Msg { return ErrorMsg{Err: err} } }

func msgCmd(m tea.Msg) tea.Cmd { return func() tea.Msg { return m } }
