package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

var _ ports.BlobStore = (*BlobStore)(nil)

// BlobChunk is the size of one stored chunk of a blob: what Put buffers
// and Open reads at a time.
const BlobChunk = 1 << 20

const thingBlob = "Blob"

type blobRow struct {
	bun.BaseModel `bun:"table:export_blobs,alias:eb"`

	Key  string `bun:"key,pk"`
	Seq  int    `bun:"seq,pk"`
	Data []byte `bun:"data"`
}

// BlobStore implements ports.BlobStore in the database (table
// export_blobs): PostgreSQL deployments keep export files there so any
// replica serves a download. A blob is rows of up to BlobChunk bytes,
// written and read one at a time.
type BlobStore struct{ db *DB }

// NewBlobStore returns a BlobStore over db.
func NewBlobStore(db *DB) *BlobStore { return &BlobStore{db: db} }

// Put replaces the blob under key with r's bytes, in one transaction: a
// reader sees the old blob or the whole new one, and a failed write
// leaves the old one. At least one chunk (perhaps empty) is stored, so an
// empty blob exists.
func (s *BlobStore) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	var total int64
	err := s.db.inTx(ctx, func(ctx context.Context) error {
		total = 0
		if _, err := s.db.conn(ctx).NewDelete().Model((*blobRow)(nil)).Where("key = ?", key).Exec(ctx); err != nil {
			return fmt.Errorf("replace blob %s: %w", key, translate(err, thingBlob))
		}
		buf := make([]byte, BlobChunk)
		for seq := 0; ; seq++ {
			n, rerr := io.ReadFull(r, buf)
			last := errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)
			if rerr != nil && !last {
				return fmt.Errorf("read blob %s: %w", key, rerr)
			}
			if n > 0 || seq == 0 {
				row := blobRow{Key: key, Seq: seq, Data: buf[:n]}
				if _, err := s.db.conn(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
					return fmt.Errorf("write blob %s chunk %d: %w", key, seq, translate(err, thingBlob))
				}
				total += int64(n)
			}
			if last {
				return nil
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// Open streams the blob chunk by chunk.
func (s *BlobStore) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	var meta struct {
		Chunks int   `bun:"chunks"`
		Size   int64 `bun:"size"`
	}
	err := s.db.conn(ctx).NewSelect().Model((*blobRow)(nil)).
		ColumnExpr("count(*) AS chunks, coalesce(sum(length(eb.data)), 0) AS size").
		Where("eb.key = ?", key).Scan(ctx, &meta)
	if err != nil {
		return nil, 0, fmt.Errorf("open blob %s: %w", key, translate(err, thingBlob))
	}
	if meta.Chunks == 0 {
		return nil, 0, fault.New(fault.NotFound, "Blob not found")
	}
	return &blobReader{ctx: ctx, s: s, key: key, chunks: meta.Chunks}, meta.Size, nil
}

// Delete removes every chunk of the blob.
func (s *BlobStore) Delete(ctx context.Context, key string) error {
	if _, err := s.db.conn(ctx).NewDelete().Model((*blobRow)(nil)).Where("key = ?", key).Exec(ctx); err != nil {
		return fmt.Errorf("delete blob %s: %w", key, translate(err, thingBlob))
	}
	return nil
}

// blobReader reads one chunk per query, when the previous is used up.
type blobReader struct {
	ctx    context.Context
	s      *BlobStore
	key    string
	chunks int
	next   int
	cur    []byte
}

func (b *blobReader) Read(p []byte) (int, error) {
	for len(b.cur) == 0 {
		if b.next >= b.chunks {
			return 0, io.EOF
		}
		var data []byte
		err := b.s.db.conn(b.ctx).NewSelect().Model((*blobRow)(nil)).Column("data").
			Where("eb.key = ? AND eb.seq = ?", b.key, b.next).Scan(b.ctx, &data)
		if err != nil {
			return 0, fmt.Errorf("read blob %s chunk %d: %w", b.key, b.next, translate(err, thingBlob))
		}
		b.cur, b.next = data, b.next+1
	}
	n := copy(p, b.cur)
	b.cur = b.cur[n:]
	return n, nil
}

func (b *blobReader) Close() error { b.cur, b.next = nil, b.chunks; return nil }
