package report

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/corsguard/corsguard/enforce"
)

// barWidth is the number of cells of the progress bar.
const barWidth = 30

// Progress draws a one-line progress bar of a sweep, redrawn in place with a carriage return.
// Its methods are safe for concurrent use, since the engine's workers report from their own
// goroutines. A nil *Progress draws nothing, so callers need not check whether stderr is a
// terminal twice.
type Progress struct {
	w     io.Writer
	label string

	mu     sync.Mutex
	total  int
	done   int
	last   string
	drawn  bool
	closed bool
}

// NewProgress returns a bar that draws on w, or nil (a bar that draws nothing) when w is not
// a terminal.
func NewProgress(w io.Writer, terminal bool, label string) *Progress {
	if !terminal {
		return nil
	}
	return &Progress{w: w, label: label}
}

// Start sets the number of containers the sweep will reconcile.
func (p *Progress) Start(total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total = total
	p.draw()
}

// Entry records that one container finished.
func (p *Progress) Entry(e enforce.Entry) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.last = e.Name + " " + string(e.Outcome)
	p.draw()
}

// Finish erases the bar so that what follows starts on a clean line.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn && !p.closed {
		fmt.Fprint(p.w, "\r\033[K")
	}
	p.closed = true
}

// Line returns the bar as drawn, without the carriage return: for example
// "auditing [##########--------------------] 4/12 live-news compliant".
func (p *Progress) Line() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.line()
}

func (p *Progress) line() string {
	filled := 0
	if p.total > 0 {
		filled = min(barWidth, p.done*barWidth/p.total)
	}
	bar := strings.Repeat("#", filled) + strings.Repeat("-", barWidth-filled)
	s := fmt.Sprintf("%s [%s] %d/%d", p.label, bar, p.done, p.total)
	if p.last != "" {
		s += " " + p.last
	}
	return s
}

func (p *Progress) draw() {
	if p.closed {
		return
	}
	fmt.Fprintf(p.w, "\r\033[K%s", p.line())
	p.drawn = true
}
