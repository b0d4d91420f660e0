package report

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// Page is one self-contained HTML report: a header that says what ran where, a summary of the
// counts as a chart and as tables, and sections of resources or checks, each a <details>
// group. WriteHTML builds one from an audit's or apply's Report; another command (the probe)
// builds its own and writes it with WritePage, so every HTML report corsguard writes has the
// same safety rules (html/template's escaping, no script, no URL out, the CSP) and the same
// look.
type Page struct {
	// Title is the report's title, such as "corsguard audit".
	Title string
	Meta  Meta
	// Mode says what the run did, such as "audit (cli audit)".
	Mode string
	// Baselines lists every baseline (and profile) the run held resources to.
	Baselines []PageBaseline
	// Problems are run-wide errors and notes a reader must see first.
	Problems []Note
	Summary  Summary
	Sections []Section
}

// Meta is what an HTML report's header says about the run that the report itself does not
// carry: who, where, which corsguard, and the command line that reproduces the run.
type Meta struct {
	Account string
	// Partition is the account's partition ("aws" when empty), for ARNs.
	Partition string
	// Regions are where the run looked: the Region first, then "global" for CloudFront.
	Regions []string
	Version string
	// Command is the exact command line that reproduces the run.
	Command string
	// Generated is when the report was written.
	Generated time.Time
}

// PageBaseline is one baseline in a report's header.
type PageBaseline struct {
	Kind      string
	Profile   string
	Parameter string
	Version   string
	Digest    string
	Valid     bool
	Problems  []string
}

// Note is a line of text with a tone.
type Note struct {
	Tone Tone
	Text string
}

// Tone says how a value reads: good (green), bad (red), warn (amber) or plain (grey). Every
// tone is also spelled out in words next to its colour, since colour alone fails people who
// cannot tell red from green.
type Tone string

// The tones.
const (
	Good  Tone = "good"
	Bad   Tone = "bad"
	Warn  Tone = "warn"
	Plain Tone = "plain"
	Info  Tone = "info"
	// Fail (purple), Dim and Faint (greys) tell apart, in the summary chart, outcomes that
	// share a tone in the text: failed from drifted, gone and excluded from exempt.
	Fail  Tone = "fail"
	Dim   Tone = "dim"
	Faint Tone = "faint"
)

// Summary is the counts of a report: one bar per group (everything, each kind, each profile)
// in the chart, and the same numbers in tables.
type Summary struct {
	// Labels are the columns, such as the outcomes, in order; Tones their colours.
	Labels []string
	Tones  []Tone
	// Groups are the chart's bars and the tables' rows, grouped under a heading ("kind").
	Groups []CountGroup
}

// CountGroup is one table of the summary: rows of counts under one heading.
type CountGroup struct {
	Heading string
	// Prefix goes before each row's label in the chart, where the headings are not shown.
	Prefix string
	Rows   []CountRow
}

// CountRow is one bar of the chart and one row of a table: a count per Summary label.
type CountRow struct {
	Label  string
	Counts []int
}

// Total is the sum of the row's counts.
func (r CountRow) Total() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// Section is one <details> group of a report: resources (Rows) or checks with verdicts and
// evidence (Checks). Open sections are unfolded when the page opens (drifted and failed ones);
// a section of more than ChunkRows rows is folded into parts so that a page of 10,000
// resources opens at once.
type Section struct {
	Title  string
	Tone   Tone
	Open   bool
	Rows   []Row
	Checks []Check
	// Text is shown above the rows.
	Text string
}

// Row is one resource: its kind, name, profile, outcome and tries, and what a reader needs to
// act on it: a drifted one's changes, a failed one's error and whether a retry can fix it.
type Row struct {
	Kind     string
	Name     string
	Profile  string
	Outcome  string
	Tone     Tone
	Tries    int
	Duration time.Duration
	Changes  []policy.Change
	// Retry says, for a failure, whether a retry can fix it.
	Retry string
	Notes []string
}

// Check is one verdict with the evidence that proves it: a delivery-chain finding, or a probe's
// verdict on one URL and origin with the exact request and answer.
type Check struct {
	Subject  string
	Verdict  string
	Tone     Tone
	Detail   string
	Changes  []policy.Change
	Evidence []Evidence
}

// Evidence is one labelled piece of evidence, shown as preformatted text (a request, an
// answer, a configuration).
type Evidence struct {
	Label string
	Text  string
}

// ChunkRows is the most rows a section shows in one fold; longer sections are split into
// folds of this many, so opening one lays out at most this many rows.
const ChunkRows = 500

// Limits that keep one row small whatever an account holds: S3 accepts origins and headers of
// any length, and a hostile policy must not make a multi-megabyte row.
const (
	maxValue   = 200 // characters of one origin, header or value shown
	maxChanges = 40  // changes shown per resource
	maxItems   = 40  // added or removed items shown per change
	maxText    = 2000
)

// chainSection is the delivery chain check's section: one check per finding.
func chainSection(c *enforce.ChainReport) Section {
	s := Section{
		Title: fmt.Sprintf("Delivery chain: %d distribution%s, %d cache behaviour%s, %d finding%s", c.Distributions, plural(c.Distributions),
			c.Behaviors, plural(c.Behaviors), len(c.Findings), plural(len(c.Findings))),
		Tone: Good, Open: len(c.Findings) > 0 || c.Error != "",
		Text: "Cache behaviours that break CORS for a browser (advisory: distributions are never written).",
	}
	if len(c.Findings) > 0 {
		s.Tone = Bad
	}
	if c.Error != "" {
		s.Tone = Warn
		s.Text += " The check is incomplete: " + c.Error
	}
	for _, f := range c.Findings {
		ch := Check{Subject: fmt.Sprintf("distribution %s, behaviour %s", f.Distribution, f.Behavior), Verdict: f.Problem, Tone: Bad,
			Detail: f.Detail, Changes: f.Diff}
		if f.DomainName != "" {
			ch.Evidence = append(ch.Evidence, Evidence{"domain name", f.DomainName})
		}
		if f.CachePolicy != "" {
			ch.Evidence = append(ch.Evidence, Evidence{"cache policy", f.CachePolicy})
		}
		if f.ResponseHeadersPolicy != "" {
			ch.Evidence = append(ch.Evidence, Evidence{"response headers policy", f.ResponseHeadersPolicy})
		}
		s.Checks = append(s.Checks, ch)
	}
	return s
}

// PageOf builds the Page of an audit's or apply's report.
func PageOf(rep *enforce.Report, m Meta) *Page {
	p := &Page{Title: "corsguard " + string(rep.Mode), Meta: m, Mode: fmt.Sprintf("%s (%s)", rep.Mode, rep.Reason)}
	switch rep.Reason {
	case "cli audit":
		p.Title = "corsguard audit"
	case "cli apply":
		p.Title = "corsguard apply"
	case "cli apply --dry-run":
		p.Title = "corsguard apply --dry-run"
	}
	baselines := rep.Baselines
	if len(baselines) == 0 {
		baselines = []enforce.Baseline{rep.Baseline}
	}
	for _, b := range append(slices.Clone(baselines), rep.Profiles...) {
		pb := PageBaseline{Kind: string(b.Kind), Profile: cmp.Or(b.Profile, enforce.DefaultProfile), Parameter: b.Parameter, Digest: b.Hash, Valid: b.Valid}
		pb.Version = strconv.FormatInt(b.Version, 10)
		if b.Version == 0 {
			pb.Version = "0 (a file, not SSM)"
		}
		for _, e := range b.Errors {
			pb.Problems = append(pb.Problems, e.String())
		}
		if len(pb.Problems) == 0 && b.Error != "" {
			pb.Problems = append(pb.Problems, b.Error)
		}
		if !b.Valid {
			p.Problems = append(p.Problems, Note{Bad, fmt.Sprintf("baseline %s%s is unusable: nothing of its kind was touched", ofKind(b.Kind), b.Parameter)})
		}
		p.Baselines = append(p.Baselines, pb)
	}
	if rep.Error != "" {
		retry := "terminal: a retry cannot fix it"
		if rep.ErrorRetryable {
			retry = "a retry can fix it"
		}
		p.Problems = append(p.Problems, Note{Bad, fmt.Sprintf("the run failed (%s): %s", retry, rep.Error)})
	}
	for _, n := range rep.Notes {
		p.Problems = append(p.Problems, Note{Warn, n})
	}
	if rep.BaselineChangedDuringRun {
		p.Problems = append(p.Problems, Note{Bad, "the baseline changed during the run: run again to converge on the new one"})
	}
	p.Summary = summaryOf(rep)

	byOutcome := map[string][]Row{}
	for _, e := range rep.Entries {
		byOutcome[string(e.Outcome)] = append(byOutcome[string(e.Outcome)], rowOf(e))
	}
	for _, name := range rep.Excluded {
		byOutcome[Excluded] = append(byOutcome[Excluded], Row{Name: name, Profile: "", Outcome: Excluded, Tone: Plain,
			Notes: []string{"left out by the include and exclude patterns; nothing was called"}})
	}
	// Drifted and failed first and unfolded: they are what the reader must act on.
	for _, o := range sectionOrder() {
		rows := byOutcome[o.outcome]
		if len(rows) == 0 {
			continue
		}
		slices.SortStableFunc(rows, func(a, b Row) int { return strings.Compare(a.Kind+"\x00"+a.Name, b.Kind+"\x00"+b.Name) })
		p.Sections = append(p.Sections, Section{Title: fmt.Sprintf("%s (%s)", o.title, thousands(len(rows))), Tone: o.tone, Open: o.open, Rows: rows, Text: o.text})
	}
	if c := rep.DeliveryChain; c != nil {
		p.Sections = append(p.Sections, chainSection(c))
	}
	return p
}

type sectionInfo struct {
	outcome, title, text string
	tone                 Tone
	open                 bool
}

func sectionOrder() []sectionInfo {
	return []sectionInfo{
		{string(enforce.Drifted), "Drifted", "The CORS configuration differs from the baseline; nothing was written (audit).", Bad, true},
		{string(enforce.Failed), "Failed", "Could not be checked or written; each says whether a retry can fix it.", Bad, true},
		{string(enforce.NotStarted), "Not started", "Not begun before the deadline or an interruption; a retry can fix it.", Warn, true},
		{string(enforce.Remediated), "Remediated", "Drifted, and corsguard wrote the baseline; the changes are what was wrong.", Info, true},
		{string(enforce.Exempt), "Exempt", "Carries the exemption tag (or, for a CloudFront policy, has no CorsConfig); left alone.", Plain, false},
		{string(enforce.Gone), "Gone", "Deleted, being deleted, or never existed.", Plain, false},
		{string(enforce.Compliant), "Compliant", "Equal to the baseline; nothing was written.", Good, false},
		{Excluded, "Excluded", "Left out by the include and exclude patterns; nothing was called.", Plain, false},
	}
}

func toneOf(o enforce.Outcome) Tone {
	switch o {
	case enforce.Compliant:
		return Good
	case enforce.Remediated:
		return Info
	case enforce.Drifted, enforce.Failed:
		return Bad
	case enforce.NotStarted:
		return Warn
	}
	return Plain
}

func rowOf(e enforce.Entry) Row {
	r := Row{Kind: string(e.Kind), Name: e.Name, Profile: profileOf(e), Outcome: string(e.Outcome), Tone: toneOf(e.Outcome),
		Tries: e.Attempts, Duration: e.Duration, Changes: e.Diff}
	if e.Note != "" {
		r.Notes = append(r.Notes, e.Note)
	}
	if e.Error != "" {
		r.Notes = append(r.Notes, e.Error)
	}
	if e.Outcome == enforce.Failed || e.Outcome == enforce.NotStarted {
		r.Retry = "terminal: a retry cannot fix it"
		if e.Retryable {
			r.Retry = "retryable: a retry can fix it"
		}
	}
	return r
}

// summaryOf counts the outcomes of rep: everything, per kind and per profile.
func summaryOf(rep *enforce.Report) Summary {
	var s Summary
	idx := map[string]int{}
	chartTone := map[enforce.Outcome]Tone{enforce.Failed: Fail, enforce.Gone: Dim}
	for _, o := range enforce.Outcomes() {
		idx[string(o)] = len(s.Labels)
		s.Labels = append(s.Labels, string(o))
		s.Tones = append(s.Tones, cmp.Or(chartTone[o], toneOf(o)))
	}
	idx[Excluded] = len(s.Labels)
	s.Labels = append(s.Labels, Excluded)
	s.Tones = append(s.Tones, Faint)

	all := CountRow{Label: "all", Counts: make([]int, len(s.Labels))}
	kinds := map[string]*CountRow{}
	var kindOrder []string
	profiles := map[string]*CountRow{}
	var profileOrder []string
	count := func(m map[string]*CountRow, order *[]string, key, outcome string) {
		r := m[key]
		if r == nil {
			r = &CountRow{Label: key, Counts: make([]int, len(s.Labels))}
			m[key] = r
			*order = append(*order, key)
		}
		r.Counts[idx[outcome]]++
	}
	for _, e := range rep.Entries {
		all.Counts[idx[string(e.Outcome)]]++
		count(kinds, &kindOrder, string(e.Kind), string(e.Outcome))
		count(profiles, &profileOrder, profileOf(e), string(e.Outcome))
	}
	for range rep.Excluded {
		all.Counts[idx[Excluded]]++
		count(kinds, &kindOrder, "(excluded by name)", Excluded)
	}
	s.Groups = append(s.Groups, CountGroup{Heading: "Everything", Rows: []CountRow{all}})
	slices.Sort(kindOrder)
	g := CountGroup{Heading: "Per kind", Prefix: "kind"}
	for _, k := range kindOrder {
		g.Rows = append(g.Rows, *kinds[k])
	}
	s.Groups = append(s.Groups, g)
	g = CountGroup{Heading: "Per profile", Prefix: "profile"}
	for _, k := range profileOrder {
		g.Rows = append(g.Rows, *profiles[k])
	}
	if len(g.Rows) > 0 {
		s.Groups = append(s.Groups, g)
	}
	return s
}

func ofKind(k policy.Kind) string {
	if k == "" {
		return ""
	}
	return string(k) + " "
}

// clip cuts s to n characters, saying how much it left out.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return fmt.Sprintf("%s… (%d more characters)", string(r[:n]), len(r)-n)
}

// profileOf is the profile an entry was held to: its name, or "default" for its kind's baseline.
func profileOf(e enforce.Entry) string {
	if e.Profile != nil && e.Profile.Name != "" {
		return e.Profile.Name
	}
	return enforce.DefaultProfile
}
