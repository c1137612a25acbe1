package tui

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// RunFleet starts the fleet view on the terminal and returns when the
// user quits or ctx is done.
func RunFleet(ctx context.Context, opts FleetOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	f := NewFleet(opts)
	defer f.quit()
	err := runOnScreen(ctx, f, func(s *display) { f.screen = s })
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	return nil
}
