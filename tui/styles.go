package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/inspect"
)

// role names what a piece of text is, so that views never pick colours:
// Styles maps each role to a paint.
type role uint8

// The roles text can have.
const (
	roleNormal role = iota
	roleDim
	roleTitle
	roleTabActive
	roleTabInactive
	roleHeader
	roleSelected
	roleSelectedBlur
	roleContext
	roleKernel
	roleHeading
	roleLabel
	roleLink
	roleOK
	roleWarn
	roleCrit
	roleAccent
	roleBarEmpty
	roleStatus
	roleStatusAccent
	roleError
	roleHelpKey
	roleHelpDesc
	// roleFresh marks rows that appeared in the last seconds.
	roleFresh
	roleNSFirst // roleNSFirst + NSType: the colour of each namespace type
	numRoles    = roleNSFirst + role(inspect.NumNSTypes)
)

// paint is a precomputed SGR sequence; rendering is a concatenation, cheap
// enough for every cell of every visible row.
type paint struct{ on string }

// Render wraps s in the paint's attributes and a reset.
func (p paint) Render(s string) string {
	if p.on == "" || s == "" {
		return s
	}
	return p.on + s + "\x1b[m"
}

func newPaint(st ansi.Style) paint {
	if len(st) == 0 {
		return paint{}
	}
	return paint{on: st.String()}
}

// Styles are every colour and attribute the UI uses, built once from the
// terminal's background (dark or light) and NO_COLOR.
type Styles struct {
	// Dark is true when built for a dark background; NoColor when colours
	// are off (attributes such as bold and reverse remain).
	Dark, NoColor bool
	paints        [numRoles]paint
	// Box is the frame of dialogs and the help overlay.
	Box lipgloss.Style
}

// palette holds the colours of one background.
type palette struct {
	fg, dim, title, accent, link, ok, warn, crit, barEmpty, selBG, selFG, blurBG, statusBG, statusFG, headerFG color.Color
	ns                                                                                                         [inspect.NumNSTypes]color.Color
}

var darkPalette = palette{
	fg: lipgloss.Color("#d0d0d0"), dim: lipgloss.Color("#808080"), title: lipgloss.Color("#87afff"),
	accent: lipgloss.Color("#d7afff"), link: lipgloss.Color("#5fd7ff"), ok: lipgloss.Color("#87d787"),
	warn: lipgloss.Color("#ffd75f"), crit: lipgloss.Color("#ff5f5f"), barEmpty: lipgloss.Color("#4e4e4e"),
	selBG: lipgloss.Color("#005f87"), selFG: lipgloss.Color("#ffffff"), blurBG: lipgloss.Color("#3a3a3a"),
	statusBG: lipgloss.Color("#303030"), statusFG: lipgloss.Color("#d0d0d0"), headerFG: lipgloss.Color("#afafaf"),
	ns: [inspect.NumNSTypes]color.Color{
		lipgloss.Color("#87afd7"), lipgloss.Color("#ffaf5f"), lipgloss.Color("#5fd7af"), lipgloss.Color("#d787d7"),
		lipgloss.Color("#d7d787"), lipgloss.Color("#ff87af"), lipgloss.Color("#87d7ff"), lipgloss.Color("#afaf87"),
	},
}

var lightPalette = palette{
	fg: lipgloss.Color("#262626"), dim: lipgloss.Color("#767676"), title: lipgloss.Color("#005faf"),
	accent: lipgloss.Color("#8700af"), link: lipgloss.Color("#005f87"), ok: lipgloss.Color("#008700"),
	warn: lipgloss.Color("#af5f00"), crit: lipgloss.Color("#d70000"), barEmpty: lipgloss.Color("#c6c6c6"),
	selBG: lipgloss.Color("#afd7ff"), selFG: lipgloss.Color("#000000"), blurBG: lipgloss.Color("#e4e4e4"),
	statusBG: lipgloss.Color("#e4e4e4"), statusFG: lipgloss.Color("#262626"), headerFG: lipgloss.Color("#4e4e4e"),
	ns: [inspect.NumNSTypes]color.Color{
		lipgloss.Color("#005f87"), lipgloss.Color("#af5f00"), lipgloss.Color("#00875f"), lipgloss.Color("#870087"),
		lipgloss.Color("#5f5f00"), lipgloss.Color("#af005f"), lipgloss.Color("#0087af"), lipgloss.Color("#5f5f5f"),
	},
}

// NewStyles builds the styles for a dark or light background; noColor
// keeps only attributes (bold, reverse, underline), as NO_COLOR asks.
func NewStyles(dark, noColor bool) Styles {
	s := Styles{Dark: dark, NoColor: noColor}
	pal := lightPalette
	if dark {
		pal = darkPalette
	}
	st := func() ansi.Style { return ansi.Style{} }
	set := func(r role, a ansi.Style) { s.paints[r] = newPaint(a) }
	if noColor {
		set(roleTitle, st().Bold())
		set(roleTabActive, st().Bold().Reverse(true))
		set(roleHeader, st().Bold())
		set(roleSelected, st().Reverse(true))
		set(roleSelectedBlur, st().Underline(true))
		set(roleHeading, st().Bold())
		set(roleLink, st().Underline(true))
		set(roleWarn, st().Bold())
		set(roleCrit, st().Bold().Underline(true))
		set(roleStatus, st().Reverse(true))
		set(roleStatusAccent, st().Reverse(true).Bold())
		set(roleError, st().Bold())
		set(roleHelpKey, st().Bold())
		set(roleFresh, st().Bold())
		s.Box = lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
		return s
	}
	fg := func(c color.Color) ansi.Style { return st().ForegroundColor(c) }
	set(roleDim, fg(pal.dim))
	set(roleTitle, fg(pal.title).Bold())
	set(roleTabActive, st().ForegroundColor(pal.selFG).BackgroundColor(pal.selBG).Bold())
	set(roleTabInactive, fg(pal.dim))
	set(roleHeader, fg(pal.headerFG).Bold())
	set(roleSelected, st().ForegroundColor(pal.selFG).BackgroundColor(pal.selBG))
	set(roleSelectedBlur, st().BackgroundColor(pal.blurBG))
	set(roleContext, fg(pal.dim))
	set(roleKernel, fg(pal.dim))
	set(roleHeading, fg(pal.title).Bold())
	set(roleLabel, fg(pal.dim))
	set(roleLink, fg(pal.link).Underline(true))
	set(roleOK, fg(pal.ok))
	set(roleWarn, fg(pal.warn).Bold())
	set(roleCrit, fg(pal.crit).Bold())
	set(roleAccent, fg(pal.accent))
	set(roleBarEmpty, fg(pal.barEmpty))
	set(roleStatus, st().ForegroundColor(pal.statusFG).BackgroundColor(pal.statusBG))
	set(roleStatusAccent, st().ForegroundColor(pal.title).BackgroundColor(pal.statusBG).Bold())
	set(roleError, fg(pal.crit).Bold())
	set(roleHelpKey, fg(pal.link).Bold())
	set(roleHelpDesc, fg(pal.fg))
	set(roleFresh, fg(pal.ok).Bold())
	for t := range inspect.NumNSTypes {
		set(roleNSFirst+role(t), fg(pal.ns[t]))
	}
	s.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(pal.title).Padding(0, 1)
	return s
}

// of returns the paint of a role.
func (s *Styles) of(r role) paint { return s.paints[r] }

// nsRole returns the role that colours namespace type t.
func nsRole(t inspect.NSType) role {
	if t < 0 || t >= inspect.NumNSTypes {
		return roleNormal
	}
	return roleNSFirst + role(t)
}

// usageRole colours a usage percentage: normal below 70%, warning from
// 70%, critical from 90%.
func usageRole(pct float64) role {
	switch {
	case pct >= 90:
		return roleCrit
	case pct >= 70:
		return roleWarn
	}
	return roleOK
}

// helpStyles are the key bar's and the help's styles. The bubbles
// defaults are grey on grey (239 on black, 249 on white) and fade on a
// projector: here keys are bold in the link colour and descriptions in
// the text colour, both at least 7:1 against the background (WCAG AAA);
// only the separators are dim. Without colour, keys are bold.
func helpStyles(dark, noColor bool) help.Styles {
	if noColor {
		bold := lipgloss.NewStyle().Bold(true)
		return help.Styles{ShortKey: bold, FullKey: bold}
	}
	pal := lightPalette
	if dark {
		pal = darkPalette
	}
	key := lipgloss.NewStyle().Foreground(pal.link).Bold(true)
	desc := lipgloss.NewStyle().Foreground(pal.fg)
	sep := lipgloss.NewStyle().Foreground(pal.dim)
	return help.Styles{
		Ellipsis: sep,
		ShortKey: key, ShortDesc: desc, ShortSeparator: sep,
		FullKey: key, FullDesc: desc, FullSeparator: sep,
	}
}
