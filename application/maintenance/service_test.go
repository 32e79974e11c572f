package maintenance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/maintenance"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// noExports is an export store with nothing expired.
func noExports(t *testing.T) (*mocks.ExportStore, *mocks.BlobStore) {
	ex := mocks.NewExportStore(t)
	ex.EXPECT().Expired(mock.Anything, now, 100).Return(nil, nil).Maybe()
	return ex, mocks.NewBlobStore(t)
}

func newService(t *testing.T, keep time.Duration) (*maintenance.Service, *mocks.Housekeeping, *mocks.Outbox) {
	ex, blobs := noExports(t)
	return newServiceWith(t, keep, ex, blobs)
}

func newServiceWith(t *testing.T, keep time.Duration, ex *mocks.ExportStore, blobs *mocks.BlobStore) (*maintenance.Service, *mocks.Housekeeping, *mocks.Outbox) {
	h, ob, clock := mocks.NewHousekeeping(t), mocks.NewOutbox(t), mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	return maintenance.NewService(maintenance.Config{KeepRelayedEvents: keep}, h, ob, clock, ex, blobs), h, ob
}

func TestRunPrunesAndCloses(t *testing.T) {
	svc, h, ob := newService(t, 48*time.Hour)
	h.EXPECT().PruneSessions(mock.Anything, now).Return(3, nil).Once()
	ob.EXPECT().PruneRelayed(mock.Anything, now.Add(-48*time.Hour)).Return(10, nil).Once()
	h.EXPECT().PruneTaskHistory(mock.Anything, now.Add(-7*24*time.Hour)).Return(40, nil).Once()
	h.EXPECT().CloseEndedCheckIns(mock.Anything, now).Return(2, nil).Once()
	r, err := svc.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, maintenance.Report{SessionsPruned: 3, EventsPruned: 10, TaskHistoryPruned: 40, CheckInSessionsClosed: 2}, r)
	assert.Equal(t, map[string]int{"sessions_pruned": 3, "events_pruned": 10, "task_history_pruned": 40, "checkin_sessions_closed": 2,
		"exports_pruned": 0}, r.Counts())
}

func TestRunKeepsRelayedEventsAWeekByDefault(t *testing.T) {
	svc, h, ob := newService(t, 0)
	h.EXPECT().PruneSessions(mock.Anything, now).Return(0, nil).Once()
	ob.EXPECT().PruneRelayed(mock.Anything, now.Add(-7*24*time.Hour)).Return(0, nil).Once()
	h.EXPECT().PruneTaskHistory(mock.Anything, now.Add(-7*24*time.Hour)).Return(0, nil).Once()
	h.EXPECT().CloseEndedCheckIns(mock.Anything, now).Return(0, nil).Once()
	_, err := svc.Run(context.Background())
	require.NoError(t, err)
}

func TestRunStopsAtTheFirstFailure(t *testing.T) {
	svc, h, _ := newService(t, time.Hour)
	h.EXPECT().PruneSessions(mock.Anything, now).Return(0, errors.New("db down")).Once()
	_, err := svc.Run(context.Background())
	require.ErrorContains(t, err, "prune sessions")
}

func TestRunPrunesExpiredExportsFileThenRecord(t *testing.T) {
	ex, blobs := mocks.NewExportStore(t), mocks.NewBlobStore(t)
	svc, h, ob := newServiceWith(t, time.Hour, ex, blobs)
	h.EXPECT().PruneSessions(mock.Anything, now).Return(0, nil).Once()
	ob.EXPECT().PruneRelayed(mock.Anything, mock.Anything).Return(0, nil).Once()
	h.EXPECT().PruneTaskHistory(mock.Anything, mock.Anything).Return(0, nil).Once()
	h.EXPECT().CloseEndedCheckIns(mock.Anything, now).Return(0, nil).Once()
	expired := []ports.Export{{ID: "a", BlobKey: "a.csv"}, {ID: "b", BlobKey: "b.xlsx"}}
	ex.EXPECT().Expired(mock.Anything, now, 100).Return(expired, nil).Once()
	var order []string
	for _, e := range expired {
		blobs.EXPECT().Delete(mock.Anything, e.BlobKey).Run(func(_ context.Context, k string) { order = append(order, "blob "+k) }).Return(nil).Once()
		ex.EXPECT().Delete(mock.Anything, e.ID).Run(func(_ context.Context, id string) { order = append(order, "row "+id) }).Return(nil).Once()
	}
	r, err := svc.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, r.ExportsPruned)
	assert.Equal(t, 2, r.Counts()["exports_pruned"])
	assert.Equal(t, []string{"blob a.csv", "row a", "blob b.xlsx", "row b"}, order)
}

func TestPruneExportsKeepsTheRecordWhenTheFileCannotBeDeleted(t *testing.T) {
	ex, blobs := mocks.NewExportStore(t), mocks.NewBlobStore(t)
	svc, _, _ := newServiceWith(t, time.Hour, ex, blobs)
	ex.EXPECT().Expired(mock.Anything, now, 100).Return([]ports.Export{{ID: "a", BlobKey: "a.csv"}}, nil).Once()
	blobs.EXPECT().Delete(mock.Anything, "a.csv").Return(errors.New("disk gone")).Once()
	n, err := svc.PruneExports(context.Background(), now)
	require.Error(t, err)
	assert.Zero(t, n)
}
