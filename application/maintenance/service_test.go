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
	"github.com/campus/campus/tests/mocks"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T, keep time.Duration) (*maintenance.Service, *mocks.Housekeeping, *mocks.Outbox) {
	h, ob, clock := mocks.NewHousekeeping(t), mocks.NewOutbox(t), mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	return maintenance.NewService(maintenance.Config{KeepRelayedEvents: keep}, h, ob, clock), h, ob
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
	assert.Equal(t, map[string]int{"sessions_pruned": 3, "events_pruned": 10, "task_history_pruned": 40, "checkin_sessions_closed": 2}, r.Counts())
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
