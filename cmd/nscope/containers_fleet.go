package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/remote"
)

// fleetParallel is how many hosts "containers -H a,b" scans at once.
const fleetParallel = 8

// hostScan is one host's part of a fleet listing.
type hostScan struct {
	target remote.Target
	snap   *inspect.Snapshot
	rates  *procview.Rates
	err    error
}

// scanHosts scans every target through its agent, fleetParallel at a
// time, each bounded by the connect timeout; with sample, twice, for the
// rates. A host that fails does not stop the others.
func scanHosts(ctx context.Context, d *remote.Dialer, targets []remote.Target, sample time.Duration) []hostScan {
	out := make([]hostScan, len(targets))
	sem := make(chan struct{}, fleetParallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = scanHost(ctx, d, t, sample)
		}()
	}
	wg.Wait()
	return out
}

func scanHost(ctx context.Context, d *remote.Dialer, t remote.Target, sample time.Duration) hostScan {
	hs := hostScan{target: t}
	src := remote.NewSource(d, t)
	defer src.Close()
	scan := func() (*inspect.Snapshot, error) {
		// The connection and the scan: the connect timeout and a scan's
		// own time.
		ctx, cancel := context.WithTimeout(ctx, reconnectTimeout()+30*time.Second)
		defer cancel()
		return src.Scan(ctx)
	}
	if hs.snap, hs.err = scan(); hs.err != nil || sample <= 0 {
		return hs
	}
	select {
	case <-time.After(sample):
	case <-ctx.Done():
		hs.err = ctx.Err()
		return hs
	}
	prev := hs.snap
	if hs.snap, hs.err = scan(); hs.err == nil {
		hs.rates = procview.ComputeCgroupRates(prev, hs.snap)
	}
	return hs
}

// containersFleet is "nscope containers -H a,b": every host's containers
// in one table with a HOST column (or one JSON document whose containers
// carry a "host" field). Hosts that cannot be reached are reported on
// standard error, the others listed, and nscope exits 255.
func containersFleet(cmd *cobra.Command, targets []remote.Target, args []string) error {
	f := cmd.Flags()
	asJSON, _ := f.GetBool("json")
	all, _ := f.GetBool("all")
	sample, _ := f.GetDuration("sample")
	if sample < 0 || sample > time.Minute {
		return usagef("--sample %s: want a duration from 0 (totals) to 1m", sample)
	}
	for _, name := range []string{"runtime-root", "proc", "sys"} {
		if fl := f.Lookup(name); fl != nil && fl.Changed {
			return usagef("--%s reads a tree of this machine; it is not passed to several hosts", name)
		}
	}
	d, err := newDialer(cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	d.BatchMode, d.ConnectTimeout = true, reconnectTimeout()
	scans := scanHosts(cmd.Context(), d, targets, sample)

	type hostRow struct {
		host string
		snap *inspect.Snapshot
		c    inspect.Container
		r    *procview.Rates
	}
	var rows []hostRow
	found := make([]bool, len(args))
	for _, hs := range scans {
		if hs.err != nil {
			continue
		}
		list, err := hostContainers(hs.snap, args, all, found)
		if err != nil {
			return fmt.Errorf("%s: %w", hs.target, err)
		}
		for _, c := range list {
			rows = append(rows, hostRow{hs.target.String(), hs.snap, c, hs.rates})
		}
	}
	for i, q := range args {
		if !found[i] && reachedAny(scans) {
			return usagef("no container %q on any host that answered", q)
		}
	}

	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if asJSON {
		type hostJSON struct {
			Host      string `json:"host"`
			Reachable bool   `json:"reachable"`
			Hostname  string `json:"hostname,omitempty"`
			Error     string `json:"error,omitempty"`
		}
		doc := struct {
			SchemaVersion int               `json:"schema_version"`
			Hosts         []hostJSON        `json:"hosts"`
			Containers    []json.RawMessage `json:"containers"`
		}{SchemaVersion: inspect.SchemaVersion, Containers: []json.RawMessage{}}
		for _, hs := range scans {
			h := hostJSON{Host: hs.target.String(), Reachable: hs.err == nil}
			if hs.err != nil {
				h.Error = hs.err.Error()
			} else {
				h.Hostname = hs.snap.Host.Hostname
			}
			doc.Hosts = append(doc.Hosts, h)
		}
		for _, r := range rows {
			obj, err := withHost(r.host, r.c)
			if err != nil {
				return err
			}
			doc.Containers = append(doc.Containers, obj)
		}
		if err := writeJSON(out, doc); err != nil {
			return err
		}
	} else {
		t := newTable(out, append([]string{"HOST"}, containerHeader...)...)
		for _, r := range rows {
			t.row(append([]string{r.host}, containerCells(r.snap, &r.c, r.r)...)...)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	failed := 0
	for _, hs := range scans {
		if hs.err != nil {
			failed++
			msgf(errOut, "nscope: %s\n", hostError(hs))
		}
	}
	if failed > 0 {
		return &exitCodeError{code: exitUnreachable}
	}
	return &exitCodeError{code: 0}
}

// hostError is a host's failure, naming it once.
func hostError(hs hostScan) string {
	var de *remote.DialError
	if errors.As(hs.err, &de) {
		return hs.err.Error()
	}
	return hs.target.String() + ": " + hs.err.Error()
}

// reachedAny reports whether any host answered.
func reachedAny(scans []hostScan) bool {
	for _, hs := range scans {
		if hs.err == nil {
			return true
		}
	}
	return false
}

// hostContainers are the containers of one host that args name (found
// marks the args that matched), or all running ones (every one with all).
// A name unknown on this host is not an error: it may be on another.
func hostContainers(snap *inspect.Snapshot, args []string, all bool, found []bool) ([]inspect.Container, error) {
	if len(args) == 0 {
		return selectContainers(snap, nil, all)
	}
	var out []inspect.Container
	for i, q := range args {
		c, err := snap.ResolveContainer(q)
		var unknown *inspect.UnknownContainerError
		switch {
		case errors.As(err, &unknown):
			continue
		case err != nil:
			var amb *inspect.AmbiguousContainerError
			if errors.As(err, &amb) || errors.Is(err, inspect.ErrBadContainerQuery) {
				return nil, &usageError{err}
			}
			return nil, err
		}
		found[i] = true
		out = append(out, *c)
	}
	return out, nil
}

// withHost is a container's JSON object with "host" first.
func withHost(host string, c inspect.Container) (json.RawMessage, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	if len(data) < 2 || data[0] != '{' {
		return nil, fmt.Errorf("container %s: not a JSON object", c.Name)
	}
	h, _ := json.Marshal(host)
	out := append([]byte(`{"host":`), h...)
	if len(data) > 2 {
		out = append(out, ',')
	}
	return append(out, data[1:]...), nil
}
