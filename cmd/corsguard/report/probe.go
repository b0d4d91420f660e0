package report

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/corsguard/corsguard/probe"
)

// ProbePage builds the HTML page of a probe: the verdicts counted per URL, then one section per
// URL with every verdict (those other than ok first) and, as evidence, each request exactly as
// it was sent and each answer as it was read.
func ProbePage(rep *probe.Report, m Meta) *Page {
	p := &Page{Title: "corsguard probe", Meta: m, Mode: "probe: GET, HEAD and OPTIONS only, judged as the Fetch standard's CORS check judges them"}
	var baselines []string
	for _, r := range rep.Results {
		if r.Baseline != "" && !slices.Contains(baselines, r.Baseline) {
			baselines = append(baselines, r.Baseline)
		}
	}
	for _, b := range baselines {
		p.Baselines = append(p.Baselines, PageBaseline{Kind: "intent", Profile: "default", Parameter: b, Valid: true})
	}
	for _, n := range rep.Notes {
		p.Problems = append(p.Problems, Note{Warn, n})
	}
	for _, s := range rep.Skipped {
		p.Problems = append(p.Problems, Note{Plain, fmt.Sprintf("distribution %s skipped: %s", s.Distribution, s.Reason)})
	}

	verdicts := probe.Verdicts()
	idx := map[probe.Verdict]int{}
	for i, v := range verdicts {
		idx[v] = i
		p.Summary.Labels = append(p.Summary.Labels, string(v))
		p.Summary.Tones = append(p.Summary.Tones, verdictTone(v))
	}
	all := CountRow{Label: "all", Counts: make([]int, len(verdicts))}
	perURL := map[string]*CountRow{}
	byURL := map[string][]probe.Result{}
	var urls []string
	for _, r := range rep.Results {
		if _, ok := perURL[r.URL]; !ok {
			perURL[r.URL] = &CountRow{Label: r.URL, Counts: make([]int, len(verdicts))}
			urls = append(urls, r.URL)
		}
		all.Counts[idx[r.Verdict]]++
		perURL[r.URL].Counts[idx[r.Verdict]]++
		byURL[r.URL] = append(byURL[r.URL], r)
	}
	p.Summary.Groups = []CountGroup{{Heading: "Everything", Rows: []CountRow{all}}}
	g := CountGroup{Heading: "Per URL", Prefix: "url"}
	for _, u := range urls {
		g.Rows = append(g.Rows, *perURL[u])
	}
	if len(g.Rows) > 0 {
		p.Summary.Groups = append(p.Summary.Groups, g)
	}

	for _, u := range urls {
		results := byURL[u]
		// What a reader must act on first: errors and findings before ok.
		slices.SortStableFunc(results, func(a, b probe.Result) int { return rank(a.Verdict) - rank(b.Verdict) })
		s := Section{Tone: Good}
		findings := 0
		for _, r := range results {
			t := verdictTone(r.Verdict)
			if t != Good {
				findings++
				if s.Tone != Bad {
					s.Tone = t
				}
			}
			c := Check{Subject: originSubject(r), Verdict: string(r.Verdict), Tone: t, Detail: r.Detail}
			if r.Distribution != "" {
				c.Detail = strings.TrimSpace("distribution " + r.Distribution + ". " + c.Detail)
			}
			for i, e := range r.Evidence {
				c.Evidence = append(c.Evidence, Evidence{fmt.Sprintf("request %d (%s)", i+1, e.Step.Kind), requestText(e.Request)},
					Evidence{fmt.Sprintf("answer %d", i+1), answerText(e)})
			}
			s.Checks = append(s.Checks, c)
		}
		s.Open = findings > 0
		s.Title = fmt.Sprintf("%s: %d verdict%s, %d not ok", u, len(results), plural(len(results)), findings)
		if len(results) > 0 && results[0].Baseline != "" {
			s.Text = "Intent: " + results[0].Baseline + "."
		}
		p.Sections = append(p.Sections, s)
	}
	return p
}

func verdictTone(v probe.Verdict) Tone {
	switch v {
	case probe.OK:
		return Good
	case probe.Error:
		return Warn
	}
	return Bad
}

func rank(v probe.Verdict) int {
	switch verdictTone(v) {
	case Bad:
		return 0
	case Warn:
		return 1
	}
	return 2
}

func originSubject(r probe.Result) string {
	o := r.Origin
	if o == "" {
		o = "(no Origin)"
	}
	allowed := "allowed by the baseline"
	if !r.Allowed {
		allowed = "outside the baseline"
	}
	return fmt.Sprintf("origin %s (%s), credentials %s", o, allowed, r.Credentials)
}

// requestText is a request as an HTTP/1.1 head: the request line and every header sent.
func requestText(r probe.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Method, r.URL)
	writeHeader(&b, r.Header)
	return b.String()
}

// answerText is an answer's status and every header, or the error that stopped the request.
func answerText(e probe.Exchange) string {
	if e.Response == nil {
		return "error: " + e.Error
	}
	var b strings.Builder
	proto := e.Response.Proto
	if proto == "" {
		proto = "HTTP"
	}
	fmt.Fprintf(&b, "%s %d", proto, e.Response.Status)
	writeHeader(&b, e.Response.Header)
	for _, h := range e.Response.Redirects {
		fmt.Fprintf(&b, "\n(after a %d redirect from %s)", h.Status, h.Location)
	}
	if e.Response.BodyBytes > 0 {
		fmt.Fprintf(&b, "\n\n(body: %d bytes read", e.Response.BodyBytes)
		if e.Response.BodyTruncated {
			b.WriteString(", more not read")
		}
		b.WriteString(")")
	}
	if e.Error != "" {
		b.WriteString("\nerror: " + e.Error)
	}
	return b.String()
}

func writeHeader(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "\n%s: %s", k, v)
		}
	}
}
