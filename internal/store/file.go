package store

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync/atomic"
)

// fileState is what every file-backed store keeps beside its database:
// where the file is, the runs its Open found interrupted, and whether it
// has been closed. Bolt and SQLite embed it, so File's accessors and the
// closed check are written once.
type fileState struct {
	path        string
	interrupted []string
	closed      atomic.Bool
}

// Interrupted returns the ids of the runs this Open found left running by
// a process that is gone and marked interrupted, in id order.
func (f *fileState) Interrupted() []string { return slices.Clone(f.interrupted) }

// Path returns the file the store is kept in.
func (f *fileState) Path() string { return f.path }

// ready reports why a call cannot go ahead: the caller's context is done,
// or the store is closed.
func (f *fileState) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f.closed.Load() {
		return ErrClosed
	}
	return nil
}

// close closes db once; closing twice is not an error.
func (f *fileState) close(db io.Closer) error {
	if f.closed.Swap(true) {
		return nil
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", f.path, err)
	}
	return nil
}
