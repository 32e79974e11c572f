// Package blob keeps blobs (export files) in a local directory: the
// embedded mode's blob store, one file per key. PostgreSQL deployments
// keep them in the database instead (store.BlobStore), so any replica
// can serve them.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

var _ ports.BlobStore = (*Dir)(nil)

// Dir implements ports.BlobStore over a directory.
type Dir struct {
	root string
}

// NewDir returns a store over root, creating the directory if needed.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		root = "exports"
	}
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("blob directory %s: %w", root, err)
	}
	return &Dir{root: root}, nil
}

// validKey keeps keys to plain file names: no separators, no "..".
var validKey = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$`)

func (d *Dir) path(key string) (string, error) {
	if !validKey.MatchString(key) {
		return "", fault.Newf(fault.Invalid, "invalid blob key %q", key)
	}
	return filepath.Join(d.root, key), nil
}

// Put writes r to a temporary file in the directory and renames it over
// key, so a reader never sees half a file and a failed write leaves the
// previous blob (or none).
func (d *Dir) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(d.root, ".put-*")
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone after the rename anyway
	n, err := io.Copy(tmp, ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return 0, fmt.Errorf("blob %s: %w", key, err)
	}
	return n, nil
}

// Open opens the blob's file.
func (d *Dir) Open(_ context.Context, key string) (io.ReadCloser, int64, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p) //nolint:gosec // p is the root joined with a checked plain name
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fault.Wrap(fault.NotFound, "Blob not found", err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("blob %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("blob %s: %w", key, err)
	}
	return f, st.Size(), nil
}

// Delete removes the blob's file.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", key, err)
	}
	return nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
