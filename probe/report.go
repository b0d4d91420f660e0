package probe

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report is the result of one probe run.
type Report struct {
	Results  []Result        `json:"results"`
	Skipped  []Skipped       `json:"skipped,omitempty"`
	Notes    []string        `json:"notes,omitempty"`
	Requests int             `json:"requests"`
	Totals   map[Verdict]int `json:"totals"`
}

// Skipped is a distribution the probe did not probe, and why (no corsguard:probe-path tag).
type Skipped struct {
	Distribution string `json:"distribution"`
	Reason       string `json:"reason"`
}

// Run probes every target in order and returns the report; skipped are added as they are.
func (p *Prober) Run(ctx context.Context, targets []Target, skipped []Skipped) *Report {
	rep := &Report{Skipped: skipped, Totals: map[Verdict]int{}}
	for _, t := range targets {
		results, notes := p.Probe(ctx, t)
		rep.Results = append(rep.Results, results...)
		for _, n := range notes {
			rep.Notes = append(rep.Notes, t.URL+": "+n)
		}
	}
	for _, r := range rep.Results {
		rep.Totals[r.Verdict]++
	}
	rep.Requests = p.Sent()
	return rep
}

// Failed reports whether some answer could not be judged (exit status 1).
func (r *Report) Failed() bool { return r.Totals[Error] > 0 }

// Findings reports whether some verdict is neither ok nor error (exit status 3).
func (r *Report) Findings() bool {
	for v, n := range r.Totals {
		if n > 0 && v != OK && v != Error {
			return true
		}
	}
	return false
}

// WriteJSON writes r as indented JSON: every result with its verdict and evidence.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// csvHeader is the first row WriteCSV writes.
var csvHeader = []string{"url", "distribution", "baseline", "origin", "allowed", "credentials", "verdict", "detail", "request", "answer"}

// WriteCSV writes one row per result; the request and answer are those of the exchange judged,
// in one line each.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, res := range r.Results {
		req, ans := "", ""
		if len(res.Evidence) > 0 {
			req, ans = requestLine(res.Evidence[0]), answerLine(res.Evidence[0])
		}
		if err := cw.Write([]string{res.URL, res.Distribution, res.Baseline, res.Origin, strconv.FormatBool(res.Allowed),
			res.Credentials, string(res.Verdict), res.Detail, req, ans}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes r for a person: one row per result; then, for each verdict other than ok,
// the requests and answers that prove it; then what was skipped and the totals.
func WriteTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERDICT\tURL\tORIGIN\tCREDENTIALS\tDETAIL")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Verdict, res.URL, originLabel(res), res.Credentials, res.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range r.Results {
		if res.Verdict == OK {
			continue
		}
		fmt.Fprintf(w, "\n%s  %s  %s (%s)\n", res.Verdict, res.URL, originLabel(res), res.Credentials)
		for _, e := range res.Evidence {
			fmt.Fprintf(w, "  > %s\n  < %s\n", requestLine(e), answerLine(e))
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(w, "\nskipped   %s: %s", s.Distribution, s.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote      %s", n)
	}
	var totals []string
	for _, v := range Verdicts() {
		if n := r.Totals[v]; n > 0 {
			totals = append(totals, fmt.Sprintf("%d %s", n, v))
		}
	}
	if len(totals) == 0 {
		totals = []string{"nothing probed"}
	}
	_, err := fmt.Fprintf(w, "\n\ntotals    %s\n          %d requests\n", strings.Join(totals, ", "), r.Requests)
	return err
}

// originLabel is the origin, marked when the baseline does not allow it.
func originLabel(res Result) string {
	if res.Allowed {
		return res.Origin
	}
	return res.Origin + " (outside)"
}

// requestLine is a request in one line: method, URL and the headers that matter to CORS.
func requestLine(e Exchange) string {
	parts := []string{e.Request.Method, e.Request.URL}
	for _, k := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
		if v := e.Request.Header.Get(k); v != "" {
			parts = append(parts, k+": "+v)
		}
	}
	if e.Step.Kind == NoOrigin {
		parts = append(parts, "(no Origin)")
	}
	return strings.Join(parts, "  ")
}

// answerLine is an answer in one line: status and the headers that matter to CORS and caches,
// or the error.
func answerLine(e Exchange) string {
	if e.Response == nil || e.Response.Header == nil {
		return "error: " + e.Error
	}
	parts := []string{strconv.Itoa(e.Response.Status)}
	var keys []string
	for k := range e.Response.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "access-control-") || lk == "vary" || lk == "x-cache" || lk == "age" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range e.Response.Header[k] {
			parts = append(parts, k+": "+v)
		}
	}
	if len(keys) == 0 {
		parts = append(parts, "(no CORS headers)")
	}
	if e.Error != "" {
		parts = append(parts, "error: "+e.Error)
	}
	return strings.Join(parts, "  ")
}
