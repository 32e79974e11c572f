package jobs_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/fault"
)

func TestDecodeEventsReadsBatchesAndSingleEvents(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	batch := []jobs.Event{
		{ID: "a", Type: "attendance.marked", Aggregate: "attendance", AggregateID: "1", OccurredAt: at, Data: map[string]any{"status": "absent"}},
		{ID: "b", Type: "attendance.marked", Aggregate: "attendance", AggregateID: "2", OccurredAt: at},
	}
	payload, err := jobs.EncodeEvents(batch)
	require.NoError(t, err)
	got, err := jobs.DecodeEvents(payload)
	require.NoError(t, err)
	assert.Equal(t, batch, got)

	// A job a relay wrote before batches: one event as an object.
	got, err = jobs.DecodeEvents([]byte(` {"id":"c","type":"complaint.filed","aggregate":"complaint","aggregate_id":"3","occurred_at":"2026-12-07T09:00:00Z","data":null}`))
	require.NoError(t, err)
	assert.Equal(t, []jobs.Event{{ID: "c", Type: "complaint.filed", Aggregate: "complaint", AggregateID: "3", OccurredAt: at}}, got)
}

func TestDecodeEventsRefusesMalformedPayloads(t *testing.T) {
	for _, p := range []string{"", "not json", "[]", "{}", `[{"id":"a"}]`, `[{"type":"x"}]`, `[{"id":"a","type":"x"},{"id":""}]`, "null", "42", `"s"`} {
		_, err := jobs.DecodeEvents([]byte(p))
		assert.Equal(t, fault.Invalid, fault.KindOf(err), "payload %q", p)
	}
}

func FuzzDecodeEvents(f *testing.F) {
	for _, s := range []string{`[{"id":"a","type":"t"}]`, `{"id":"a","type":"t","data":{"k":1}}`, `[`, `{"id":1}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		es, err := jobs.DecodeEvents(payload)
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("error of kind %v: %v", fault.KindOf(err), err)
			}
			return
		}
		if len(es) == 0 {
			t.Fatal("no error and no event")
		}
		for _, e := range es {
			if e.ID == "" || e.Type == "" {
				t.Fatalf("accepted an event without id or type: %+v", e)
			}
		}
		// What was accepted encodes and decodes to the same events.
		again, err := jobs.EncodeEvents(es)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := jobs.DecodeEvents(again); err != nil || len(back) != len(es) {
			t.Fatalf("round trip: %v, %d events of %d", err, len(back), len(es))
		}
	})
}
