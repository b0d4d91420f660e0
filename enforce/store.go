package enforce

import (
	"context"
	"fmt"

	"github.com/corsguard/corsguard/policy"
)

// Store is one kind of resource that carries a CORS policy, reached through its AWS client.
// The engine's per-resource work is written against it, so that another kind (S3 buckets) fits
// beside MediaStore containers. Build one with MediaStore.
type Store interface {
	// Kind says which service's rules a baseline must pass for this store.
	Kind() policy.Kind

	// listPage returns one page of the resources, with the status the listing gives, from
	// token ("" for the first page), and the next page's token ("" after the last page).
	listPage(ctx context.Context, m *meter, token string) ([]resource, string, error)
	// describe returns one resource's current status; errGone if it does not exist.
	describe(ctx context.Context, m *meter, name string) (resource, error)
	// tags returns the resource's tags.
	tags(ctx context.Context, m *meter, r resource) (map[string]string, error)
	// getPolicy returns the resource's policy, nil when it has none.
	getPolicy(ctx context.Context, m *meter, r resource) (policy.Policy, error)
	// putPolicy replaces the resource's policy.
	putPolicy(ctx context.Context, m *meter, r resource, p policy.Policy) error
}

// status is a resource's lifecycle state, common to all kinds.
type status int

const (
	statusReady    status = iota // the policy can be read and written
	statusCreating               // not ready yet; wait
	statusDeleting               // on its way out; gone
	statusUnknown                // a status this version does not know; not touched
)

// resource is one resource as a store lists or describes it.
type resource struct {
	name string
	// label is what the selector's globs match when it is not the name: an HTTP API is named
	// by its ApiId (names are not unique) and selected by its name. "" means the name.
	label  string
	id     string // the ARN: what tag lookups take
	status status
	raw    string // the service's own status name, for messages
	// entryID is Entry.ID: the identifier a report needs besides the name, when the name is not
	// what the resource's ARN holds (a CloudFront response headers policy's Id). Empty otherwise.
	entryID string
}

// labelled is a Store whose resources are named by an id and selected by a label (an HTTP
// API's ApiId and name): a resource named by an event or a message is selected once it is
// described, not by its name.
type labelled interface{ selectsByLabel() }

// selects reports whether a resource named name may be selected by k's selector before it is
// described: always for a labelled store, whose label is known only then.
func (k *binding) selects(name string) bool {
	if _, ok := k.store.(labelled); ok {
		return true
	}
	return k.selector.Match(name)
}

// selectName is what the selector matches: the label, else the name.
func (r resource) selectName() string {
	if r.label != "" {
		return r.label
	}
	return r.name
}

// ready returns nil when r can be worked on, a busy error while it is being created and a gone
// error while it is being deleted.
func (r resource) ready() error {
	switch r.status {
	case statusCreating:
		return fmt.Errorf("still %s: %w", r.raw, errBusy)
	case statusDeleting:
		return fmt.Errorf("%s: %w", r.raw, errGone)
	case statusUnknown:
		return Terminal(fmt.Errorf("unknown status %q", r.raw))
	}
	return nil
}
