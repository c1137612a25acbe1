package tui

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
)

// frameRate is the most frames a second the screen draws (screen.go):
// frames asked for within 50 ms are drawn as one. A quiet screen draws
// nothing and wakes nothing.
const frameRate = 20

// Run starts the app on the terminal and returns when the user quits or
// ctx is done. The terminal is restored (alternate screen left, cursor
// shown) on every way out, including a panic in the app.
func Run(ctx context.Context, opts Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	m := New(opts)
	defer m.cancel()
	defer m.closeLive()
	err := runOnScreen(ctx, m, func(s *display) { m.host.screen = s })
	// Processes launched from the TUI live as long as it does: stop them
	// and remove their cgroups now that the terminal is back.
	if n := m.launched.stopAll(stopGrace); n > 0 {
		fmt.Fprintf(os.Stderr, "nscope: stopped %d process(es) launched from the TUI and removed their cgroups\n", n)
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}
