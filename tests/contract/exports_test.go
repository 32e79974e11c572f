package contract_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/blob"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// blobStores lists every blob store: the directory, and the database's
// chunk table on each database.
func blobStores() []struct {
	name string
	open func(t *testing.T) ports.BlobStore
} {
	out := []struct {
		name string
		open func(t *testing.T) ports.BlobStore
	}{{"dir", func(t *testing.T) ports.BlobStore {
		d, err := blob.NewDir(t.TempDir())
		require.NoError(t, err)
		return d
	}}}
	for _, s := range testenv.Stores() {
		out = append(out, struct {
			name string
			open func(t *testing.T) ports.BlobStore
		}{"db-" + s.Name, func(t *testing.T) ports.BlobStore { return store.NewBlobStore(setup(t, s.URL(t)).db) }})
	}
	return out
}

// TestBlobStore runs the blob store contract on every adapter, each case
// on a fresh store.
func TestBlobStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b ports.BlobStore)
	}{
		{"RoundTrip", testBlobRoundTrip},
		{"ManyChunks", testBlobManyChunks},
		{"Overwrite", testBlobOverwrite},
		{"Empty", testBlobEmpty},
		{"FailedPutKeepsThePrevious", testBlobFailedPut},
		{"DeleteAndMissing", testBlobDelete},
		{"BoundedMemory", testBlobBoundedMemory},
	}
	for _, s := range blobStores() {
		t.Run(s.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, s.open(t)) })
			}
		})
	}
}

func readBlob(t *testing.T, b ports.BlobStore, key string) ([]byte, int64) {
	t.Helper()
	r, size, err := b.Open(context.Background(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	data, err := io.ReadAll(r)
	require.NoError(t, err)
	return data, size
}

func testBlobRoundTrip(t *testing.T, b ports.BlobStore) {
	n, err := b.Put(context.Background(), "a.csv", bytes.NewReader([]byte("id,name\n1,Asha\n")))
	require.NoError(t, err)
	assert.Equal(t, int64(15), n)
	data, size := readBlob(t, b, "a.csv")
	assert.Equal(t, "id,name\n1,Asha\n", string(data))
	assert.Equal(t, int64(15), size)
}

// pattern is n deterministic bytes that differ from chunk to chunk.
func pattern(n int, seed byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(i*7+i/4096) ^ seed
	}
	return out
}

func testBlobManyChunks(t *testing.T, b ports.BlobStore) {
	for _, n := range []int{store.BlobChunk, store.BlobChunk + 1, 2*store.BlobChunk + store.BlobChunk/2} {
		want := pattern(n, 1)
		put, err := b.Put(context.Background(), "big.xlsx", bytes.NewReader(want))
		require.NoError(t, err)
		assert.Equal(t, int64(n), put)
		data, size := readBlob(t, b, "big.xlsx")
		assert.Equal(t, int64(n), size)
		assert.True(t, bytes.Equal(want, data), "%d bytes back as written", n)
	}
	// Small reads walk across chunk boundaries.
	r, _, err := b.Open(context.Background(), "big.xlsx")
	require.NoError(t, err)
	defer func() { _ = r.Close() }()
	var got bytes.Buffer
	buf := make([]byte, 333_333)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
	}
	assert.True(t, bytes.Equal(pattern(2*store.BlobChunk+store.BlobChunk/2, 1), got.Bytes()))
}

func testBlobOverwrite(t *testing.T, b ports.BlobStore) {
	_, err := b.Put(context.Background(), "k.csv", bytes.NewReader(pattern(3*store.BlobChunk, 2)))
	require.NoError(t, err)
	_, err = b.Put(context.Background(), "k.csv", bytes.NewReader([]byte("short")))
	require.NoError(t, err)
	data, size := readBlob(t, b, "k.csv")
	assert.Equal(t, "short", string(data), "no chunk of the longer blob is left")
	assert.Equal(t, int64(5), size)
}

func testBlobEmpty(t *testing.T, b ports.BlobStore) {
	n, err := b.Put(context.Background(), "empty.csv", bytes.NewReader(nil))
	require.NoError(t, err)
	assert.Zero(t, n)
	data, size := readBlob(t, b, "empty.csv")
	assert.Empty(t, data)
	assert.Zero(t, size)
}

// failingReader yields n bytes, then fails.
type failingReader struct{ n int }

var errSource = errors.New("source broke")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errSource
	}
	k := min(len(p), f.n)
	f.n -= k
	return k, nil
}

func testBlobFailedPut(t *testing.T, b ports.BlobStore) {
	_, err := b.Put(context.Background(), "k.csv", bytes.NewReader([]byte("v1")))
	require.NoError(t, err)
	_, err = b.Put(context.Background(), "k.csv", &failingReader{n: 2*store.BlobChunk + 10})
	require.ErrorIs(t, err, errSource)
	data, _ := readBlob(t, b, "k.csv")
	assert.Equal(t, "v1", string(data))
	_, err = b.Put(context.Background(), "new.csv", &failingReader{n: 10})
	require.Error(t, err)
	_, _, err = b.Open(context.Background(), "new.csv")
	assertKind(t, err, fault.NotFound)
}

func testBlobDelete(t *testing.T, b ports.BlobStore) {
	_, _, err := b.Open(context.Background(), "nothing.csv")
	assertKind(t, err, fault.NotFound)
	_, err = b.Put(context.Background(), "d.csv", bytes.NewReader(pattern(store.BlobChunk+5, 3)))
	require.NoError(t, err)
	require.NoError(t, b.Delete(context.Background(), "d.csv"))
	_, _, err = b.Open(context.Background(), "d.csv")
	assertKind(t, err, fault.NotFound)
	require.NoError(t, b.Delete(context.Background(), "d.csv"), "deleting a missing blob is no error")
}

// generated streams n pattern bytes without holding them.
type generated struct{ off, n int }

func (g *generated) Read(p []byte) (int, error) {
	if g.off >= g.n {
		return 0, io.EOF
	}
	k := min(len(p), g.n-g.off)
	for i := range k {
		p[i] = byte((g.off + i) * 31)
	}
	g.off += k
	return k, nil
}

// peakHeap samples the heap in use while fn runs and returns how far it
// rose above where it started. The collector runs at GOGC=25 meanwhile,
// so the peak reflects what is live rather than garbage not yet collected.
func peakHeap(fn func()) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	start := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if peak.Load() < start {
		return 0
	}
	return peak.Load() - start
}

// testBlobBoundedMemory writes and reads back a 64 MiB blob: the heap
// never grows by anything near the blob's size (the limit, 24 MiB, leaves
// room for a few chunks, their SQL text — hex, on PostgreSQL — and the
// collector's slack).
func testBlobBoundedMemory(t *testing.T, b ports.BlobStore) {
	const size = 64 << 20
	var put int64
	rise := peakHeap(func() {
		var err error
		put, err = b.Put(context.Background(), "huge.csv", &generated{n: size})
		require.NoError(t, err)
	})
	assert.Equal(t, int64(size), put)
	t.Logf("Put of 64 MiB: heap rose by %.1f MiB", float64(rise)/(1<<20))
	assert.Less(t, rise, uint64(24<<20), "Put's heap rose by %d MiB", rise>>20)
	h := sha256.New()
	want := sha256.New()
	_, _ = io.Copy(want, &generated{n: size})
	rise = peakHeap(func() {
		r, n, err := b.Open(context.Background(), "huge.csv")
		require.NoError(t, err)
		assert.Equal(t, int64(size), n)
		_, err = io.Copy(h, r)
		require.NoError(t, err)
		require.NoError(t, r.Close())
	})
	assert.Equal(t, want.Sum(nil), h.Sum(nil))
	t.Logf("Open+read of 64 MiB: heap rose by %.1f MiB", float64(rise)/(1<<20))
	assert.Less(t, rise, uint64(24<<20), "reading's heap rose by %d MiB", rise>>20)
}

// TestExportStore runs the exports' record store and row source contract
// on every database, each case on a fresh one.
func TestExportStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *repos)
	}{
		{"Records", testExportRecords},
		{"Expired", testExportExpired},
		{"SourceStudents", testExportSourceStudents},
		{"SourceAttendance", testExportSourceAttendance},
		{"SourceRisks", testExportSourceRisks},
		{"SourceComplaints", testExportSourceComplaints},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { c.run(t, setup(t, s.URL(t))) })
			}
		})
	}
}

func testExportRecords(t *testing.T, r *repos) {
	ctx := context.Background()
	s := store.NewExportStore(r.db)
	e := ports.Export{ID: "0b7c6f9e-1", Kind: "students", Format: "csv", Filters: map[string]string{"department": "CS", "semester": "3"},
		Status: ports.ExportPending, RequestedBy: 7, BlobKey: "0b7c6f9e-1.csv", CreatedAt: base}
	require.NoError(t, s.Create(ctx, e))
	assertKind(t, s.Create(ctx, e), fault.Conflict)
	want := e
	want.CreatedAt = at(0)
	got, err := s.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	done, exp := at(time.Minute), at(24*time.Hour+time.Minute)
	want.Status, want.Rows, want.Size, want.Error, want.CompletedAt, want.ExpiresAt = ports.ExportCompleted, 1000, 1<<20, "", &done, &exp
	require.NoError(t, s.Save(ctx, want))
	got, err = s.Get(ctx, e.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	_, err = s.Get(ctx, "nope")
	assertKind(t, err, fault.NotFound)
	assertKind(t, s.Save(ctx, ports.Export{ID: "nope", Kind: "students", Format: "csv", Status: ports.ExportFailed}), fault.NotFound)
	assertKind(t, s.Create(ctx, ports.Export{ID: "bad", Kind: "clubs", Format: "csv", Status: ports.ExportPending, CreatedAt: base}), fault.Invalid)

	require.NoError(t, s.Delete(ctx, e.ID))
	_, err = s.Get(ctx, e.ID)
	assertKind(t, err, fault.NotFound)
	require.NoError(t, s.Delete(ctx, e.ID))
}

func testExportExpired(t *testing.T, r *repos) {
	ctx := context.Background()
	s := store.NewExportStore(r.db)
	for i, off := range []time.Duration{-2 * time.Hour, -time.Hour, time.Hour, -3 * time.Hour} {
		exp := at(off)
		e := ports.Export{ID: string(rune('a' + i)), Kind: "risks", Format: "xlsx", Status: ports.ExportCompleted, RequestedBy: 1,
			BlobKey: string(rune('a'+i)) + ".xlsx", CreatedAt: base, ExpiresAt: &exp}
		require.NoError(t, s.Create(ctx, e))
	}
	require.NoError(t, s.Create(ctx, ports.Export{ID: "p", Kind: "risks", Format: "csv", Status: ports.ExportPending, CreatedAt: base}))
	got, err := s.Expired(ctx, at(0), 10)
	require.NoError(t, err)
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	assert.Equal(t, []string{"d", "a", "b"}, ids, "oldest first; not yet expired and pending left")
	got, err = s.Expired(ctx, at(0), 2)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

func drainStudents(t *testing.T, src *store.ExportSource, f ports.ExportFilter, batch int) []int64 {
	t.Helper()
	var ids []int64
	var after int64
	for {
		got, err := src.Students(context.Background(), f, after, batch)
		require.NoError(t, err)
		for _, s := range got {
			ids = append(ids, s.ID)
		}
		if len(got) < batch {
			return ids
		}
		after = got[len(got)-1].ID
	}
}

func testExportSourceStudents(t *testing.T, r *repos) {
	src := store.NewExportSource(r.db)
	var all, cse3 []int64
	for i := range 7 {
		st := newStudent(t, r, "R"+string(rune('0'+i)), func(f *student.Fields) {
			if i%2 == 1 {
				f.Department = "ECE"
			}
			if i == 4 {
				f.Semester = 5
			}
		})
		all = append(all, st.ID)
		if i%2 == 0 && i != 4 {
			cse3 = append(cse3, st.ID)
		}
	}
	assert.Equal(t, all, drainStudents(t, src, ports.ExportFilter{}, 3))
	assert.Equal(t, all, drainStudents(t, src, ports.ExportFilter{}, 7))
	assert.Equal(t, cse3, drainStudents(t, src, ports.ExportFilter{Department: "CSE", Semester: 3}, 2))
	assert.Empty(t, drainStudents(t, src, ports.ExportFilter{Status: "graduated"}, 2))
	got, err := src.Students(context.Background(), ports.ExportFilter{}, all[5], 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "R6", got[0].RollNo)
}

func testExportSourceAttendance(t *testing.T, r *repos) {
	ctx := context.Background()
	records := store.NewAttendanceRepository(r.db)
	src := store.NewExportSource(r.db)
	a, b := newStudent(t, r, "A1", nil), newStudent(t, r, "B1", nil)
	today := attendance.Date{Year: 2026, Month: 11, Day: 27}
	var want []int64
	for i, day := range []string{"2026-11-01", "2026-11-02", "2026-11-03"} {
		for _, st := range []student.Student{a, b} {
			status := "present"
			if i == 1 {
				status = "absent"
			}
			rec, err := attendance.New(attendance.Fields{StudentID: st.ID, Date: day, Status: status}, today)
			require.NoError(t, err)
			require.NoError(t, records.Create(ctx, &rec))
			if st.ID == a.ID && day >= "2026-11-02" {
				want = append(want, rec.ID)
			}
		}
	}
	from := attendance.Date{Year: 2026, Month: 11, Day: 2}
	got, err := src.Attendance(ctx, ports.ExportFilter{StudentID: &a.ID, DateFrom: &from}, 0, 10)
	require.NoError(t, err)
	var ids []int64
	for _, rec := range got {
		ids = append(ids, rec.ID)
	}
	assert.Equal(t, want, ids)
	to := attendance.Date{Year: 2026, Month: 11, Day: 2}
	got, err = src.Attendance(ctx, ports.ExportFilter{DateTo: &to, Status: "absent"}, 0, 10)
	require.NoError(t, err)
	assert.Len(t, got, 2)
}

func testExportSourceRisks(t *testing.T, r *repos) {
	ctx := context.Background()
	risks := store.NewRiskRepository(r.db)
	src := store.NewExportSource(r.db)
	for _, sev := range []string{"low", "high", "high"} {
		rk, err := risk.New(risk.Fields{Type: "health", Severity: sev, Description: "watch"}, "manual", base)
		require.NoError(t, err)
		require.NoError(t, risks.Create(ctx, &rk))
	}
	got, err := src.Risks(ctx, ports.ExportFilter{Severity: "high", Status: "open", RiskType: "health"}, 0, 10)
	require.NoError(t, err)
	assert.Len(t, got, 2)
	got, err = src.Risks(ctx, ports.ExportFilter{RiskType: "academic"}, 0, 10)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testExportSourceComplaints(t *testing.T, r *repos) {
	ctx := context.Background()
	complaints := store.NewComplaintRepository(r.db)
	src := store.NewExportSource(r.db)
	st := newStudent(t, r, "C1", nil)
	user := newUser(t, r, "filer", "staff", nil)
	var ids []int64
	for i, cat := range []string{"health", "facilities", "health", "health"} {
		c, err := complaint.New(complaint.Fields{StudentID: st.ID, Title: "Complaint " + cat, Description: "Something is wrong here",
			Category: cat, Priority: "normal"}, user.ID, at(time.Duration(i)*time.Hour))
		require.NoError(t, err)
		require.NoError(t, complaints.Create(ctx, &c))
		ids = append(ids, c.ID)
	}
	// created_at in [base+1h, base+3h): the third only among health ones.
	from, before := at(time.Hour), at(3*time.Hour)
	got, err := src.Complaints(ctx, ports.ExportFilter{Category: "health", CreatedFrom: &from, CreatedBefore: &before}, 0, 10)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, ids[2], got[0].ID)
	got, err = src.Complaints(ctx, ports.ExportFilter{Status: "pending", Priority: "normal"}, ids[0], 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []int64{ids[1], ids[2]}, []int64{got[0].ID, got[1].ID})
}
