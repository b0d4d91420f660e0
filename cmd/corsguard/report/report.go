// Package report writes the engine's Report for people and for programs: a table a person
// reads in a terminal, the Report itself as JSON, CSV with one row per container or bucket, a
// self-contained HTML page an auditor reads and attaches (html.go), or OCSF Compliance
// Findings for Security Lake and the new Security Hub (ocsf.go). It also draws the progress
// bar of a sweep. It does no AWS calls; the CLI and the demo share it.
package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// Format is an output format.
type Format string

// The output formats.
const (
	Table Format = "table"
	JSON  Format = "json"
	CSV   Format = "csv"
	// HTML is one self-contained page (WriteHTML); it needs the run's Meta.
	HTML Format = "html"
	// OCSF is one OCSF Compliance Finding per resource (WriteOCSF); it needs the account.
	OCSF Format = "ocsf"
)

// Formats lists every format, for help text and shell completion.
func Formats() []Format { return []Format{Table, JSON, CSV, HTML, OCSF} }

// ParseFormat returns the Format named by s.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats(), f) {
		return f, nil
	}
	return "", fmt.Errorf("output format %q: want one of %s", s, formatNames())
}

// Choose picks the format of one run: the one asked for, else the one the output file's
// extension names (.json, .csv), else a table when the output is a terminal and JSON when a
// program reads it.
func Choose(asked, outputFile string, terminal bool) (Format, error) {
	if asked != "" {
		return ParseFormat(asked)
	}
	switch strings.ToLower(filepath.Ext(outputFile)) {
	case ".json":
		return JSON, nil
	case ".csv":
		return CSV, nil
	case ".html", ".htm":
		return HTML, nil
	}
	if outputFile == "" && terminal {
		return Table, nil
	}
	if outputFile != "" && strings.EqualFold(filepath.Ext(outputFile), ".txt") {
		return Table, nil
	}
	return JSON, nil
}

// Write writes rep to w in format f, with no Meta: the HTML header then says "unknown" for
// what the report does not carry, and OCSF findings name no account.
func Write(w io.Writer, rep *enforce.Report, f Format) error { return WriteWith(w, rep, f, Meta{}) }

// WriteWith writes rep to w in format f. HTML and OCSF take what the report does not carry
// from m (the account, Regions, version, command line); the other formats ignore it.
func WriteWith(w io.Writer, rep *enforce.Report, f Format, m Meta) error {
	switch f {
	case Table:
		return WriteTable(w, rep)
	case JSON:
		return WriteJSON(w, rep)
	case CSV:
		return WriteCSV(w, rep)
	case HTML:
		return WriteHTML(w, rep, m)
	case OCSF:
		return WriteOCSF(w, rep, m)
	}
	return fmt.Errorf("output format %q: want one of %s", f, formatNames())
}

// formatNames lists Formats for an error message.
func formatNames() string {
	var names []string
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// WriteJSON writes rep as indented JSON, exactly the engine's Report (what the Lambda returns).
func WriteJSON(w io.Writer, rep *enforce.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write json report: %w", err)
	}
	return nil
}

// CSVHeader is the first row of the CSV output.
func CSVHeader() []string {
	return []string{"name", "kind", "outcome", "attempts", "duration_ms", "changes", "error", "profile", "profile_parameter", "profile_version"}
}

// Profile is an entry's profile as the table and the CSV show it: the profile's name
// ("default" for the kind's default baseline), "" when none applies (exempt, or failed first).
func Profile(e enforce.Entry) string {
	if e.Profile == nil {
		return ""
	}
	return e.Profile.Name
}

// WriteCSV writes one row per container or bucket: the entries in the report's order, then
// the names the selector excluded, with the outcome "excluded" and no kind. A drifted or
// remediated resource's changes are joined with "; ".
func WriteCSV(w io.Writer, rep *enforce.Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{CSVHeader()}
	for _, e := range rep.Entries {
		rows = append(rows, []string{
			e.Name, string(e.Kind), string(e.Outcome), strconv.Itoa(e.Attempts),
			strconv.FormatInt(e.Duration.Milliseconds(), 10), strings.Join(changes(e), "; "), cmpOr(e.Error, e.Note),
			Profile(e), profileParameter(e), profileVersion(e),
		})
	}
	for _, name := range rep.Excluded {
		rows = append(rows, []string{name, "", Excluded, "0", "0", "", "", "", "", ""})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv report: %w", err)
	}
	return nil
}

func profileParameter(e enforce.Entry) string {
	if e.Profile == nil {
		return ""
	}
	return e.Profile.Parameter
}

func profileVersion(e enforce.Entry) string {
	if e.Profile == nil || e.Profile.Version == 0 {
		return ""
	}
	return strconv.FormatInt(e.Profile.Version, 10)
}

// Excluded is the outcome column of a container that the selector left out, in the CSV and
// the table. The engine makes no call for it.
const Excluded = "excluded"

func changes(e enforce.Entry) []string {
	out := make([]string, len(e.Diff))
	for i, c := range e.Diff {
		out[i] = c.String()
	}
	return out
}

// WriteTable writes rep for a person: the baseline, one line per container (and one per change
// of a drifted one), the excluded containers, and the totals.
func WriteTable(w io.Writer, rep *enforce.Report) error {
	var buf bytes.Buffer
	kv := func(key, format string, args ...any) {
		fmt.Fprintf(&buf, "%-10s"+format+"\n", append([]any{key}, args...)...)
	}
	// One baseline line, or one per kind when the run covered several kinds (each kind's
	// baseline is validated with its own service's rules).
	baselines := []enforce.Baseline{rep.Baseline}
	if len(rep.Baselines) > 1 {
		baselines = rep.Baselines
	}
	for _, b := range baselines {
		of := ""
		if b.Kind != "" && len(baselines) > 1 {
			of = string(b.Kind) + ": "
		}
		if b.Valid {
			kv("baseline", "%s%s version %d (%s)", of, b.Parameter, b.Version, short(b.Hash))
			continue
		}
		kv("baseline", "%s%s INVALID: nothing was touched", of, b.Parameter)
		for _, p := range b.Errors {
			kv("", "  %s", p)
		}
		if len(b.Errors) == 0 && b.Error != "" {
			kv("", "  %s", b.Error)
		}
	}
	for _, b := range rep.Profiles {
		if b.Valid {
			kv("profile", "%s %s: %s version %d (%s)", b.Kind, b.Profile, b.Parameter, b.Version, short(b.Hash))
			continue
		}
		kv("profile", "%s %s: %s UNUSABLE: its resources were not touched", b.Kind, b.Profile, b.Parameter)
		kv("", "  %s", b.Error)
	}
	kv("mode", "%s (%s)", rep.Mode, rep.Reason)
	if rep.Error != "" {
		kv("error", "%s", rep.Error)
	}
	if len(rep.Entries) > 0 {
		buf.WriteString("\n")
		if err := writeEntries(&buf, rep.Entries); err != nil {
			return err
		}
	}
	if len(rep.Excluded) > 0 {
		buf.WriteString("\n")
		kv("excluded", "%s", strings.Join(rep.Excluded, ", "))
	}
	if c := rep.DeliveryChain; c != nil {
		buf.WriteString("\n")
		kv("chain", "%d distribution%s, %d cache behaviour%s checked: %d finding%s", c.Distributions, plural(c.Distributions),
			c.Behaviors, plural(c.Behaviors), len(c.Findings), plural(len(c.Findings)))
		for _, f := range c.Findings {
			kv("", "  %s %s: %s", f.Distribution, f.Behavior, f.Problem)
			kv("", "    %s", f.Detail)
			for _, d := range f.Diff {
				kv("", "    %s", truncate(d.String(), maxDetail))
			}
		}
		if c.Error != "" {
			kv("", "  incomplete: %s", c.Error)
		}
	}
	buf.WriteString("\n")
	kv("totals", "%s", Totals(rep))
	calls := 0
	for _, n := range rep.APICalls {
		calls += n
	}
	kv("", "%d API calls in %s", calls, roundDuration(rep.Duration))
	if rep.BaselineChangedDuringRun {
		kv("note", "the baseline changed during the run; run again to converge on the new one")
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

// writeEntries writes the resources as aligned columns, a drifted one's further changes on
// lines of their own under DETAIL, without trailing blanks. The first column is CONTAINER or
// BUCKET when all are of one kind; a run over both kinds has NAME and KIND.
func writeEntries(w io.Writer, entries []enforce.Entry) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	mixed := slices.ContainsFunc(entries, func(e enforce.Entry) bool { return e.Kind != entries[0].Kind })
	kindCol := func(e enforce.Entry) string { return "" }
	switch {
	case mixed:
		fmt.Fprintln(tw, "NAME\tKIND\tOUTCOME\tPROFILE\tTRIES\tTIME\tDETAIL")
		kindCol = func(e enforce.Entry) string { return string(e.Kind) + "\t" }
	case entries[0].Kind == policy.S3:
		fmt.Fprintln(tw, "BUCKET\tOUTCOME\tPROFILE\tTRIES\tTIME\tDETAIL")
	case entries[0].Kind == policy.CloudFront:
		fmt.Fprintln(tw, "POLICY\tOUTCOME\tPROFILE\tTRIES\tTIME\tDETAIL")
	default:
		fmt.Fprintln(tw, "CONTAINER\tOUTCOME\tPROFILE\tTRIES\tTIME\tDETAIL")
	}
	pad := ""
	if mixed {
		pad = "\t"
	}
	for _, e := range entries {
		details := changes(e)
		if e.Note != "" {
			details = append([]string{e.Note}, details...)
		}
		if e.Error != "" {
			details = append(details, e.Error)
		}
		for i, d := range details {
			details[i] = truncate(d, maxDetail)
		}
		first := ""
		if len(details) > 0 {
			first = details[0]
		}
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%d\t%s\t%s\n", e.Name, kindCol(e), e.Outcome, cmpOr(Profile(e), "-"), e.Attempts, roundDuration(e.Duration), first)
		for _, d := range details[min(1, len(details)):] {
			fmt.Fprintf(tw, "%s\t\t\t\t\t%s\n", pad, d)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	for line := range strings.Lines(buf.String()) {
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
	return nil
}

// Totals says in one line how many containers and buckets had each outcome, leaving out the
// zeros: "5 compliant, 1 drifted, 1 exempt". A run that checked nothing says "nothing checked".
func Totals(rep *enforce.Report) string {
	var parts []string
	for _, o := range enforce.Outcomes() {
		if n := rep.Totals[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if n := len(rep.Excluded); n > 0 {
		parts = append(parts, fmt.Sprintf("%d %s", n, Excluded))
	}
	if len(parts) == 0 {
		return "nothing checked"
	}
	return strings.Join(parts, ", ")
}

// short shortens a "sha256:<hex>" hash to its first 12 hex digits for the table.
func short(hash string) string {
	if len(hash) > len("sha256:")+12 {
		return hash[:len("sha256:")+12]
	}
	return hash
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// maxDetail is the widest DETAIL cell of the table, in characters; the JSON and CSV outputs
// keep every change whole.
const maxDetail = 100

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// cmpOr returns s, or alt when s is empty.
func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
