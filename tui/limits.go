package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/tui/dialog"
)

// The live-throttling actions: edit the CPU, memory and pids limits and
// any allowed limit file, freeze or thaw, kill every member, undo the
// last change, and the history of changes (H) to undo from. They act on the selected cgroup, or on a selected
// process's cgroup in the hierarchy that carries the controller. Every
// write goes through a control.Editor in a command, never on the UI
// goroutine, after a preview of the exact file writes.
func limitActions() []Action {
	limitAction := func(keys, desc string, k limitKind) Action {
		return editAction(keys, desc, k.controller, "change the "+k.what, func(env ActionEnv, ed LimitEditor, t cgTarget) dialog.Dialog {
			return newChangeDialog(env.Styles, limitFlow(ed, t, k), nil)
		})
	}
	return []Action{
		limitAction("c", "CPU limit", cpuLimit),
		limitAction("m", "memory limit", memoryLimit),
		limitAction("p", "pids limit", pidsLimit),
		{
			Key:           key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit limit files")),
			Applies:       cgroupOrProcess,
			NotApplicable: "e edits limit files: select a cgroup or a process",
			Mutates:       true,
			Run: func(env ActionEnv) (dialog.Dialog, tea.Cmd) {
				ed := actionEditor(env)
				if why := ed.ReadOnlyReason(); why != "" {
					return refusal(env.Styles, "edit limit files", why), nil
				}
				return newFilesDialog(env.Styles, ed, env.Selection), nil
			},
		},
		editAction("f", "freeze/thaw", ctrlFreezer, "freeze or thaw", func(env ActionEnv, ed LimitEditor, t cgTarget) dialog.Dialog {
			return newChangeDialog(env.Styles, freezeFlow(ed, t), nil)
		}),
		editAction("K", "kill all in cgroup", ctrlSelf, "kill the processes", func(env ActionEnv, ed LimitEditor, t cgTarget) dialog.Dialog {
			return newChangeDialog(env.Styles, killFlow(ed, t), nil)
		}),
		editAction("u", "undo last change", ctrlSelf, "undo", func(env ActionEnv, ed LimitEditor, t cgTarget) dialog.Dialog {
			return newChangeDialog(env.Styles, undoFlow(ed, undoTitle(t, env.Selection), undoFilters(t, env.Selection)...), nil)
		}),
		historyAction(),
	}
}

// editAction is an action that changes the cgroup resolved for
// controller: refused with an explanation when the editor is read-only
// (not root), or when the selection has no such cgroup.
func editAction(keys, desc, controller, what string, open func(ActionEnv, LimitEditor, cgTarget) dialog.Dialog) Action {
	return Action{
		Key:           key.NewBinding(key.WithKeys(keys), key.WithHelp(keys, desc)),
		Applies:       cgroupOrProcess,
		NotApplicable: fmt.Sprintf("%s (%s): select a cgroup or a process", keys, desc),
		Mutates:       true,
		Run: func(env ActionEnv) (dialog.Dialog, tea.Cmd) {
			ed := actionEditor(env)
			if why := ed.ReadOnlyReason(); why != "" {
				return refusal(env.Styles, what, why), nil
			}
			t, err := resolveTarget(env.Selection, controller)
			if err != nil {
				return refusal(env.Styles, what, err.Error()), nil
			}
			return open(env, ed, t), nil
		},
	}
}

// cgroupOrProcess is where the limit actions apply.
func cgroupOrProcess(sel Selection) bool {
	return sel.Cgroup != nil || sel.Merged != nil || sel.Process != nil
}

// refusal explains why an edit is not attempted.
func refusal(st *Styles, what, why string) dialog.Dialog {
	return &dialog.Text{
		Title:       "Cannot " + what,
		Paragraphs:  []string{why, "Nothing was written."},
		Footer:      "esc or enter closes",
		TitleStyle:  st.of(roleError).Render,
		FooterStyle: st.of(roleDim).Render,
	}
}

// actionEditor returns the Editor an action writes through: the app's
// (Options.Editor, which the CLI builds like "nscope set" does), else one
// for the host the snapshot shows.
func actionEditor(env ActionEnv) LimitEditor {
	ed := env.Editor
	if ed == nil {
		ed = env.host.editor(env.Selection.Snapshot)
	}
	setOwners(ed, env.Selection.Snapshot)
	return ed
}
