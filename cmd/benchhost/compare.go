package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// benchCommand is one command compare times.
type benchCommand struct {
	Name string // as the report shows it
	Argv []string
	// Saw counts what the command printed, from one run's output.
	Saw func(out []byte) (string, error)
}

// compareCommands are nscope snapshot and the tools it is compared with.
func compareCommands(nscope string) []benchCommand {
	cmds := []benchCommand{
		{Argv: []string{nscope, "snapshot"}, Saw: sawSnapshot},
		{Argv: []string{"lsns", "-J"}, Saw: sawLsns},
		{Argv: []string{"ps", "-e", "-o", "pid,ppid,cgroup,comm"}, Saw: sawPs},
	}
	for i := range cmds {
		cmds[i].Name = strings.Join(cmds[i].Argv, " ")
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, nscope); err == nil && !strings.HasPrefix(rel, "..") {
			cmds[0].Name = rel + " snapshot"
		}
	}
	return cmds
}

// sawSnapshot counts the processes, namespaces and cgroups in an nscope
// snapshot document.
func sawSnapshot(out []byte) (string, error) {
	var doc struct {
		Processes  []json.RawMessage `json:"processes"`
		Namespaces []json.RawMessage `json:"namespaces"`
		Cgroups    []json.RawMessage `json:"cgroups"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return "", fmt.Errorf("nscope snapshot printed no JSON document: %w", err)
	}
	return fmt.Sprintf("%d processes, %d namespaces, %d cgroups", len(doc.Processes), len(doc.Namespaces), len(doc.Cgroups)), nil
}

// sawLsns counts the namespaces in lsns -J output.
func sawLsns(out []byte) (string, error) {
	var doc struct {
		Namespaces []json.RawMessage `json:"namespaces"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return "", fmt.Errorf("lsns -J printed no JSON document: %w", err)
	}
	return fmt.Sprintf("%d namespaces", len(doc.Namespaces)), nil
}

// sawPs counts the process lines of ps output (all but the header).
func sawPs(out []byte) (string, error) {
	n := bytes.Count(out, []byte("\n"))
	if n == 0 {
		return "", errors.New("ps printed nothing")
	}
	return fmt.Sprintf("%d processes", n-1), nil
}

// commandResult is what compare learned about one command.
type commandResult struct {
	Name    string
	Saw     string
	Summary summary
}

// runCompare builds the host, times the commands on it and prints the
// report; the host is removed whatever happens.
func runCompare(ctx context.Context, c *command) (err error) {
	nscope, err := nscopeBinary(ctx, c.nscope)
	if err != nil {
		return err
	}
	cmds := compareCommands(nscope)
	for _, bc := range cmds[1:] {
		if _, err := exec.LookPath(bc.Argv[0]); err != nil {
			return fmt.Errorf("%s not found on PATH: compare needs util-linux lsns and procps ps", bc.Argv[0])
		}
	}
	if run, ok, err := runningHost(c.reuse); err != nil {
		return err
	} else if ok {
		cen, err := takeCensus("/proc")
		if err != nil {
			return err
		}
		fmt.Printf("measuring on the bench host %s of the running benchhost %d\n  machine now: %s\n", run.Name, run.Owner, cen)
	} else {
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
	}

	results, err := timeCommands(ctx, cmds, c.runs)
	if err != nil {
		return err
	}
	fmt.Println()
	printReport(os.Stdout, results, c.runs)
	return nil
}

// runningHost returns the host of a running "benchhost up" when asked to
// reuse one and there is one.
func runningHost(reuse bool) (benchRun, bool, error) {
	if !reuse {
		return benchRun{}, false, nil
	}
	runs, err := findRuns()
	if err != nil {
		return benchRun{}, false, err
	}
	for _, r := range runs {
		if r.Alive && r.Owner != os.Getpid() {
			return r, true, nil
		}
	}
	return benchRun{}, false, nil
}

// timeCommands runs each command once as a warm-up, keeping its output to
// count what it saw, then runs times each, interleaved so that a noisy
// moment on the machine hits every command alike. Timed runs write to
// /dev/null.
func timeCommands(ctx context.Context, cmds []benchCommand, runs int) ([]commandResult, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	results := make([]commandResult, len(cmds))
	for i, bc := range cmds {
		results[i].Name = bc.Name
		var out bytes.Buffer
		logf("warm-up: %s", bc.Name)
		if _, err := timeCommand(ctx, bc.Argv, &out); err != nil {
			return nil, err
		}
		if results[i].Saw, err = bc.Saw(out.Bytes()); err != nil {
			return nil, err
		}
	}
	samples := make([][]sample, len(cmds))
	for r := 1; r <= runs; r++ {
		logf("run %d of %d", r, runs)
		for i, bc := range cmds {
			s, err := timeCommand(ctx, bc.Argv, devnull)
			if err != nil {
				return nil, err
			}
			samples[i] = append(samples[i], s)
		}
	}
	for i := range results {
		results[i].Summary = summarize(samples[i])
	}
	return results, nil
}
