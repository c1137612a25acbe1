package main

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// runUp builds the host, says what it made, and keeps it until the
// context ends (SIGINT, SIGTERM, SIGHUP); then it removes everything.
func runUp(ctx context.Context, c *command) (err error) {
	h, err := newBenchHost(c.host)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("teardown: %w", cerr))
		}
	}()
	if err := h.build(ctx); err != nil {
		return fmt.Errorf("build the bench host: %w", err)
	}
	h.describe(os.Stdout)
	fmt.Printf("up: stop with Ctrl-C or kill -TERM %d; if it is killed harder, 'benchhost down' removes what is left\n", os.Getpid())
	<-ctx.Done()
	logf("stopping")
	return nil
}
