package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/corsguard/corsguard/enforce"
	"github.com/corsguard/corsguard/findings"
	"github.com/corsguard/corsguard/policy"
	"github.com/corsguard/corsguard/workqueue"
)

// A sweep's previous findings (docs/security-hub.md, "How a sweep reads the previous
// findings"). With the findings queue on, the listing of a kind whose listing comes in name
// order reads the kind's findings in Id order beside it (findings.Publisher.PriorPage, 100 to
// a GetFindings call), merges the two page by page, and stamps each reconcile message with
// what Security Hub held of its resource's finding (workqueue.Previous; {} for none). The worker
// then hands the findings queue only the findings that changed, and the publisher reads none of
// them back.

// nameOrdered lists the kinds whose listing the service returns in name order: S3's ListBuckets
// (its buckets "in alphabetical order", the emulator's too). MediaStore's ListContainers,
// CloudFront's ListResponseHeadersPolicies, Lambda's ListFunctions with their URLs and API
// Gateway's GetApis (ordered by ApiId, selected by name) promise no order a merge could rely on:
// their findings are read back by Id by the publisher, 20 to a call, as an event's are.
var nameOrdered = []policy.Kind{policy.S3}

// readsPrevious reports whether a listing of kind (of every resource, not one profile's) reads
// the previous findings: only with the findings queue, findings that are imported when they
// change, and a kind listed in name order.
func (c *Controller) readsPrevious(kind policy.Kind, profile string) bool {
	return c.cfg.Handoff != nil && c.cfg.Findings != nil && c.cfg.Findings.Compares() && profile == "" && slices.Contains(nameOrdered, kind)
}

// errOutOfOrder says that a listing or a findings page broke the name order a merge needs.
var errOutOfOrder = errors.New("not in name order")

// stampPrevious returns, for the names of one listing page, what Security Hub holds of their
// findings, and the cursor for the next page. It reads the kind's findings pages from cur on
// until it has read past the page's last name (or to the end), keeps those of the page's names
// and carries the ones after them in the cursor. On any failure (a token Security Hub refuses,
// throttling past the retries, the deadline, an order broken) it logs why and returns no
// stamps and no cursor: the rest of the listing stamps nothing, and the publisher reads those
// findings back by Id.
func (c *Controller) stampPrevious(ctx context.Context, scope findings.Scope, kind policy.Kind, page *enforce.Page,
	cur *workqueue.FindingsCursor, r *enforce.Report) (map[string]*workqueue.Previous, *workqueue.FindingsCursor) {
	stamps, next, err := c.mergePrevious(ctx, scope, kind, page, *cur)
	r.APICalls = addCounts(r.APICalls, map[string]int{"securityhub:GetFindings": next.calls})
	if err != nil {
		c.cfg.Log.WarnContext(ctx, "previous findings not read with the listing: the rest of it stamps none, and the publisher reads them back by Id",
			slog.String("kind", string(kind)), slog.String("after", cur.After), slog.String("error", err.Error()))
		r.Notes = appendNew(r.Notes, fmt.Sprintf("Security Hub: the %s listing stopped reading the previous findings (%v); the publisher reads them back by Id", kind, err))
		return nil, nil
	}
	return stamps, &next.FindingsCursor
}

// merged is a cursor after one page, and the GetFindings calls it took.
type merged struct {
	workqueue.FindingsCursor
	calls int
}

// mergePrevious is stampPrevious's merge, without the logging.
func (c *Controller) mergePrevious(ctx context.Context, scope findings.Scope, kind policy.Kind, page *enforce.Page,
	cur workqueue.FindingsCursor) (map[string]*workqueue.Previous, merged, error) {
	out := merged{FindingsCursor: cur}
	last, err := lastListed(cur.After, page)
	if err != nil {
		return nil, out, err
	}
	have := slices.Clone(cur.Ahead)
	for !out.Done && (len(have) == 0 || have[len(have)-1].Name <= last) {
		read, next, err := c.cfg.Findings.PriorPage(ctx, scope, kind, out.Token)
		out.calls++
		if err != nil {
			return nil, out, err
		}
		if len(next) > workqueue.MaxFindingsToken {
			return nil, out, fmt.Errorf("a GetFindings token of %d characters: the listing message carries at most %d", len(next), workqueue.MaxFindingsToken)
		}
		for _, p := range read {
			if policy.ValidName(kind, p.Name) != nil {
				continue // not a name the listing can hold: no listed resource's finding
			}
			if prev := cmpLast(cur.After, have); prev != "" && p.Name <= prev {
				return nil, out, fmt.Errorf("finding of %q after %q: %w", p.Name, prev, errOutOfOrder)
			}
			have = append(have, workqueue.Ahead{Name: p.Name, Previous: workqueue.Previous(p.Prior)})
		}
		out.Token, out.Done = next, next == ""
	}
	stamps := make(map[string]*workqueue.Previous, len(page.Names))
	for _, name := range page.Names {
		stamps[name] = &workqueue.Previous{}
	}
	i := 0
	for ; i < len(have) && have[i].Name <= last; i++ {
		if s, ok := stamps[have[i].Name]; ok {
			*s = have[i].Previous
		}
	}
	out.After, out.Ahead = last, slices.Clip(have[i:])
	if len(out.Ahead) == 0 {
		out.Ahead = nil
	}
	return stamps, out, nil
}

// cmpLast is the last name the merge has passed: the last finding held, else after.
func cmpLast(after string, have []workqueue.Ahead) string {
	if len(have) > 0 {
		return have[len(have)-1].Name
	}
	return after
}

// lastListed returns the last name of a listing page that follows after (the selector's kept
// and excluded names alike), or an error when the page is not in name order after it.
func lastListed(after string, page *enforce.Page) (string, error) {
	last := after
	for _, names := range [][]string{page.Names, page.Excluded} {
		prev := after
		for _, n := range names {
			if prev != "" && n <= prev {
				return "", fmt.Errorf("listed %q after %q: %w", n, prev, errOutOfOrder)
			}
			prev = n
		}
		last = max(last, prev)
	}
	return last, nil
}
