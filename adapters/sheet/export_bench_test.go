package sheet_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/campus/campus/adapters/sheet"
	"github.com/campus/campus/application/export"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// genSource generates n students on demand, in id order, as the keyset
// queries would return them: nothing is held between batches.
type genSource struct{ n int64 }

func (g genSource) Students(_ context.Context, _ ports.ExportFilter, after int64, limit int) ([]student.Student, error) {
	ts := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	var out []student.Student
	for id := after + 1; id <= g.n && len(out) < limit; id++ {
		email := fmt.Sprintf("student%d@campus.edu", id)
		out = append(out, student.Student{ID: id, Name: fmt.Sprintf("Student %d", id), RollNo: fmt.Sprintf("R-%07d", id),
			Department: "Computer Science", Semester: int(id%8) + 1, Section: "A", Email: &email, Status: student.Active,
			CreatedAt: ts, UpdatedAt: ts})
	}
	return out, nil
}

func (genSource) Attendance(context.Context, ports.ExportFilter, int64, int) ([]attendance.Record, error) {
	return nil, nil
}

func (genSource) Complaints(context.Context, ports.ExportFilter, int64, int) ([]complaint.Complaint, error) {
	return nil, nil
}
func (genSource) Risks(context.Context, ports.ExportFilter, int64, int) ([]risk.Risk, error) {
	return nil, nil
}

// memExports keeps one export record.
type memExports struct {
	mu sync.Mutex
	e  ports.Export
}

func (m *memExports) Create(_ context.Context, e ports.Export) error {
	m.mu.Lock()
	m.e = e
	m.mu.Unlock()
	return nil
}
func (m *memExports) Get(context.Context, string) (ports.Export, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.e, nil
}
func (m *memExports) Save(_ context.Context, e ports.Export) error {
	return m.Create(context.Background(), e)
}
func (m *memExports) Expired(context.Context, time.Time, int) ([]ports.Export, error) {
	return nil, nil
}
func (m *memExports) Delete(context.Context, string) error { return nil }

// countingBlobs reads what Put is given to the end and keeps only its size.
type countingBlobs struct{}

func (countingBlobs) Put(_ context.Context, _ string, r io.Reader) (int64, error) {
	return io.Copy(io.Discard, r)
}
func (countingBlobs) Open(context.Context, string) (io.ReadCloser, int64, error) { return nil, 0, nil }
func (countingBlobs) Delete(context.Context, string) error                       { return nil }

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }

// BenchmarkExportStudents runs the export use case (batches of 1000
// rows, the real CSV and XLSX encoders, a blob store that consumes the
// stream) over 10 000, 100 000 and 300 000 generated students. Besides the
// allocations per run it reports the peak rise of the heap in use
// (sampled every millisecond) and the file size: the peak stays flat
// while the row count grows tenfold.
func BenchmarkExportStudents(b *testing.B) {
	for _, format := range []string{"csv", "xlsx"} {
		for _, rows := range []int64{10_000, 100_000, 300_000} {
			b.Run(fmt.Sprintf("%s/rows=%d", format, rows), func(b *testing.B) {
				store := &memExports{}
				svc := export.NewService(export.Config{}, export.Deps{Exports: store, Source: genSource{n: rows},
					Blobs: countingBlobs{}, Encoder: sheet.NewEncoder(), Clock: fixedClock{}})
				b.ReportAllocs()
				var peak, peakLive uint64
				var size int64
				for b.Loop() {
					_ = store.Create(context.Background(), ports.Export{ID: "bench", Kind: "students", Format: format,
						Status: ports.ExportPending, BlobKey: "bench." + format})
					var got ports.Export
					rise, live := peakHeapRise(func() {
						var err error
						if got, err = svc.Run(context.Background(), "bench"); err != nil {
							b.Fatal(err)
						}
					})
					if int64(got.Rows) != rows {
						b.Fatalf("%d rows exported, want %d", got.Rows, rows)
					}
					peak, peakLive, size = max(peak, rise), max(peakLive, live), got.Size
				}
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
				b.ReportMetric(float64(size)/(1<<20), "file-MiB")
			})
		}
	}
}

// peakHeapRise samples, every millisecond while fn runs, the heap in use
// (HeapInuse: live objects and garbage not yet swept) and the live heap
// as of the last collection (runtime/metrics /gc/heap/live:bytes), and
// returns the peak rise of each above the level before.
func peakHeapRise(fn func()) (inuse, live uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	read := func() (uint64, uint64) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		metrics.Read(sample)
		return m.HeapInuse, sample[0].Value.Uint64()
	}
	startInuse, startLive := read()
	var peakInuse, peakLive atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			in, lv := read()
			peakInuse.Store(max(peakInuse.Load(), in))
			peakLive.Store(max(peakLive.Load(), lv))
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	rise := func(peak, start uint64) uint64 {
		if peak < start {
			return 0
		}
		return peak - start
	}
	return rise(peakInuse.Load(), startInuse), rise(peakLive.Load(), startLive)
}
