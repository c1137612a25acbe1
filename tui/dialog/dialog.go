// Package dialog is the modal layer of nscope's TUI: a stack of dialogs
// drawn over the app. The top dialog gets every key and mouse message
// until it closes itself by returning Close in its command. Other
// messages (results of commands a dialog started, timers) reach the top
// dialog too, and the app as well.
package dialog

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Dialog is one modal box.
type Dialog interface {
	// Update handles a message while the dialog is on top and returns the
	// dialog to keep (usually itself) and a command. Include Close in the
	// command to remove the dialog.
	Update(msg tea.Msg) (Dialog, tea.Cmd)
	// View renders the dialog's content (without the frame) in at most
	// width×height cells.
	View(width, height int) string
}

// Initer is implemented by dialogs that start a command when pushed, such
// as focusing a text input.
type Initer interface {
	Init() tea.Cmd
}

// closeMsg asks the stack to pop the top dialog.
type closeMsg struct{}

// Close is a command that closes the top dialog. Use it as, or in a
// tea.Batch with, the command a dialog's Update returns.
func Close() tea.Msg { return closeMsg{} }

// Stack holds the open dialogs, the last one on top. The zero Stack is
// empty and ready to use.
type Stack struct {
	dialogs []Dialog
}

// Push opens d on top and returns its Init command, if any.
func (s *Stack) Push(d Dialog) tea.Cmd {
	s.dialogs = append(s.dialogs, d)
	if in, ok := d.(Initer); ok {
		return in.Init()
	}
	return nil
}

// Pop closes the top dialog.
func (s *Stack) Pop() {
	if len(s.dialogs) > 0 {
		s.dialogs = s.dialogs[:len(s.dialogs)-1]
	}
}

// Len returns the number of open dialogs.
func (s *Stack) Len() int { return len(s.dialogs) }

// Top returns the top dialog, or nil.
func (s *Stack) Top() Dialog {
	if len(s.dialogs) == 0 {
		return nil
	}
	return s.dialogs[len(s.dialogs)-1]
}

// Update routes msg to the top dialog. consumed is true when the app must
// not handle msg itself: every key and mouse message while a dialog is
// open, and the close request.
func (s *Stack) Update(msg tea.Msg) (cmd tea.Cmd, consumed bool) {
	if _, ok := msg.(closeMsg); ok {
		s.Pop()
		return nil, true
	}
	top := s.Top()
	if top == nil {
		return nil, false
	}
	next, cmd := top.Update(msg)
	if next == nil {
		s.Pop()
	} else {
		s.dialogs[len(s.dialogs)-1] = next
	}
	switch msg.(type) {
	case tea.KeyMsg, tea.MouseMsg, tea.PasteMsg:
		consumed = true
	}
	return cmd, consumed
}

// Overlay draws the top dialog, framed by frame, centred over base (a
// screen of width×height cells). It returns base unchanged when no dialog
// is open.
func (s *Stack) Overlay(base string, width, height int, frame lipgloss.Style) string {
	top := s.Top()
	if top == nil {
		return base
	}
	fw, fh := frame.GetHorizontalFrameSize(), frame.GetVerticalFrameSize()
	maxW, maxH := max(10, width-4-fw), max(3, height-2-fh)
	box := frame.Render(top.View(maxW, maxH))
	return Place(base, box, width, height)
}

// Place draws box centred over base, cell by cell: the base stays visible
// around it.
func Place(base, box string, width, height int) string {
	lines := strings.Split(base, "\n")
	for len(lines) < height {
		lines = append(lines, "")
	}
	boxLines := strings.Split(box, "\n")
	bw := 0
	for _, l := range boxLines {
		bw = max(bw, ansi.StringWidth(l))
	}
	x := max(0, (width-bw)/2)
	y := max(0, (height-len(boxLines))/2)
	for i, bl := range boxLines {
		row := y + i
		if row >= len(lines) {
			break
		}
		base := lines[row]
		left := ansi.Truncate(base, x, "")
		if lw := ansi.StringWidth(left); lw < x {
			left += strings.Repeat(" ", x-lw)
		}
		bl += strings.Repeat(" ", bw-ansi.StringWidth(bl))
		right := ansi.TruncateLeft(base, x+bw, "")
		lines[row] = left + "\x1b[m" + bl + "\x1b[m" + right
	}
	return strings.Join(lines, "\n")
}
