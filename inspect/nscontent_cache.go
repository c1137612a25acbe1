package inspect

import (
	"context"
	"errors"
	"sync"
)

// ContentReader reads what one namespace holds; *Scanner is one. A view
// that takes its snapshots from an interface can ask it for this one too
// (and tests can fake it).
type ContentReader interface {
	NamespaceContent(ctx context.Context, snap *Snapshot, id NSID) (*NSContent, error)
}

// ContentCache keeps what NamespaceContent read, per namespace, for one
// generation of scans: a view that draws the selected namespace on every
// frame, or a selection that comes back, reads the kernel once per
// generation, not once per frame. The caller picks the generation (a
// structural rescan number, say) and passes it to Get; a new generation
// forgets everything read before. It is safe for concurrent use.
type ContentCache struct {
	mu   sync.Mutex
	gen  uint64
	byID map[NSID]contentEntry
}

type contentEntry struct {
	content *NSContent
	err     error
}

// Get returns the content of namespace id of snap, read through r the
// first time it is asked for in generation gen. A read cut short by ctx
// is not kept.
func (c *ContentCache) Get(ctx context.Context, r ContentReader, gen uint64, snap *Snapshot, id NSID) (*NSContent, error) {
	c.mu.Lock()
	if c.byID == nil || c.gen != gen {
		c.gen, c.byID = gen, map[NSID]contentEntry{}
	}
	if e, ok := c.byID[id]; ok {
		c.mu.Unlock()
		return e.content, e.err
	}
	c.mu.Unlock()
	content, err := r.NamespaceContent(ctx, snap, id)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.byID[id] = contentEntry{content, err}
	}
	c.mu.Unlock()
	return content, err
}
