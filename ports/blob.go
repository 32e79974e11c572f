package ports

import (
	"context"
	"io"
)

// BlobStore keeps large files (exports) by key, streamed both ways: no
// implementation holds a whole blob in memory.
type BlobStore interface {
	// Put stores everything r yields under key, replacing what the key
	// held before (so a retried write overwrites); it returns the bytes
	// written. When r fails, nothing is stored under key.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open streams the blob back with its size; fault.NotFound when the
	// key holds nothing. The caller closes the reader.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// Delete removes the blob; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
