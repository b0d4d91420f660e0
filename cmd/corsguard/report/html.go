package report

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/policy"
)

// CSP is the Content-Security-Policy every HTML report carries in a meta tag: nothing may load
// or run but the report's own inline styles and data: images. The report has no script, no
// event handler and no URL out; the CSP makes a browser enforce that even if a value slipped
// through.
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

//go:embed report.css
var reportCSS string

//go:embed report.html.tmpl
var pageTemplate string

// tmpl is parsed once; html/template escapes every value by its context (text, attribute,
// SVG), which is what keeps an origin such as "><img onerror=…> inert.
var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"clip":     func(s string) string { return clip(s, maxValue) },
	"cliptext": func(s string) string { return clip(s, maxText) },
	"items":    func(xs []string) []string { return xs[:min(len(xs), maxItems)] },
	"more":     func(xs []string) int { return max(0, len(xs)-maxItems) },
	"changes":  func(cs []policy.Change) []policy.Change { return cs[:min(len(cs), maxChanges)] },
	"morechg":  func(cs []policy.Change) int { return max(0, len(cs)-maxChanges) },
	"chunks":   chunks,
	"chart":    chart,
	"num":      func(n int) string { return thousands(n) },
	"dur":      func(d time.Duration) string { return roundDuration(d).String() },
	"utc":      func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"css":      func() template.CSS { return template.CSS(reportCSS) },
	"csp":      func() string { return CSP },
	"join":     strings.Join,
	"add":      func(a, b int) int { return a + b },
	"total":    func(r CountRow) int { return r.Total() },
}).Parse(pageTemplate))

// WriteHTML writes rep as one self-contained HTML page: the header (account, Regions, time,
// version, mode, baselines, the command line), the summary as a chart and tables, and every
// resource, drifted and failed first.
func WriteHTML(w io.Writer, rep *enforce.Report, m Meta) error {
	return WritePage(w, PageOf(rep, m))
}

// WritePage writes p as one self-contained HTML page.
func WritePage(w io.Writer, p *Page) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := tmpl.Execute(bw, p); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// chunk is one fold of a long section.
type chunk struct {
	First, Last int
	Rows        []Row
}

func chunks(rows []Row) []chunk {
	var out []chunk
	for i := 0; i < len(rows); i += ChunkRows {
		j := min(i+ChunkRows, len(rows))
		out = append(out, chunk{First: i + 1, Last: j, Rows: rows[i:j]})
	}
	return out
}

// chartBar is one bar of the summary chart, laid out in SVG units.
type chartBar struct {
	Label string
	Y     int
	Total string
	Segs  []chartSeg
}

type chartSeg struct {
	X, W  string
	Y, TY int
	Tone  Tone
	Title string
	Text  string // the count, written on the segment when it is wide enough
	TX    string
}

// chartView is the summary chart: one horizontal stacked bar per count row.
type chartView struct {
	Height int
	Bars   []chartBar
	Label  string
}

const (
	chartLabelW = 170
	chartBarW   = 560
	chartRowH   = 26
)

// chart lays the summary out as stacked bars, each as long as the chart (a bar shows shares;
// its total is written at its end and every count is in the table below).
func chart(s Summary) chartView {
	var v chartView
	var words []string
	y := 4
	for _, g := range s.Groups {
		for _, r := range g.Rows {
			label := r.Label
			if g.Prefix != "" {
				label = g.Prefix + " " + label
			}
			b := chartBar{Label: label, Y: y, Total: thousands(r.Total())}
			total := r.Total()
			x := float64(chartLabelW)
			for i, n := range r.Counts {
				if n == 0 || total == 0 {
					continue
				}
				w := float64(chartBarW) * float64(n) / float64(total)
				seg := chartSeg{X: f1(x), W: f1(w), Y: y, TY: y + 14, Tone: s.Tones[i], Title: fmt.Sprintf("%s: %s %s", r.Label, thousands(n), s.Labels[i])}
				if w >= 8*float64(len(thousands(n)))+6 {
					seg.Text, seg.TX = thousands(n), f1(x+w/2)
				}
				b.Segs = append(b.Segs, seg)
				x += w
			}
			v.Bars = append(v.Bars, b)
			y += chartRowH
		}
	}
	for i, l := range s.Labels {
		if n := sumColumn(s, i); n > 0 {
			words = append(words, fmt.Sprintf("%s %s", thousands(n), l))
		}
	}
	v.Height = y + 4
	v.Label = "Outcomes: " + strings.Join(words, ", ")
	return v
}

func sumColumn(s Summary, i int) int {
	if len(s.Groups) == 0 {
		return 0
	}
	n := 0
	for _, r := range s.Groups[0].Rows {
		n += r.Counts[i]
	}
	return n
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// thousands writes n with thin groups of three digits: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
