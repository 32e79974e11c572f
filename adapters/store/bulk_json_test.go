package store

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/event"
)

// marshal is what outbox rows held before encodePayloads: encoding/json's
// bytes, "{}" for a nil payload.
func marshal(t *testing.T, m map[string]any) string {
	t.Helper()
	if m == nil {
		return "{}"
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

// sameJSON asserts that got holds the value encoding/json wrote as want
// (goccy/go-json may order escaped keys or write numbers differently).
func sameJSON(t *testing.T, want, got string, msgAndArgs ...any) {
	t.Helper()
	var w, g any
	require.NoError(t, json.Unmarshal([]byte(want), &w))
	require.NoError(t, json.Unmarshal([]byte(got), &g), msgAndArgs...)
	assert.Equal(t, w, g, msgAndArgs...)
}

type named string

// TestEncodePayloadsHoldWhatEncodingJSONHolds: each payload is the text
// encoding/json writes, byte for byte (keys sorted, HTML characters and
// U+2028/U+2029 escaped), except where goccy/go-json is known to write the
// same value otherwise: a float below 1e-6 (1e-09 for 1e-9) and the order
// of keys that need escaping (goccy sorts them escaped, "\u003ckey\u003e"
// after "B"). Those are compared as values.
func TestEncodePayloadsHoldWhatEncodingJSONHolds(t *testing.T) {
	exact := []map[string]any{
		nil,
		{},
		{"id": int64(17), "student_id": int64(4), "date": "2026-11-27", "session": "daily", "status": "present",
			"remarks": "", "marked_by": nil, "created": true, "previous_status": "absent"},
		{"marked_by": int64(-3), "n": 7, "i32": int32(-8), "big": int64(math.MaxInt64), "f": 0.5, "f0": float64(4),
			"small": 1e-6, "huge": 1e21, "ok": false},
		{"html": "<b>Tom & Jerry</b>", "quote": `say "hi" \ bye`, "ctl": "tab\tnew\nline\x00\x1f", "del": "\x7f",
			"utf8": "café – ünïcode 日本", "bad": "\xff\xfe", "sep": "\u2028\u2029"},
		{"b": 2, "a": 3, "B": 4, "é": 5, "": 6, "a\"b": 7, "a_b": 8, "Z": 9},
		{"nested": map[string]any{"z": []any{"x", 1, nil}, "a": map[string]any{"deep": "<&>"}}, "nilmap": map[string]any(nil),
			"list": []string{"a", "b"}, "named": named("st<"), "time": time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
			"strmap": map[string]string{"k": "v", "<": "w"}, "raw": json.RawMessage(`{"r":1}`)},
	}
	divergent := []map[string]any{
		{"tiny": 1e-9, "n": 1},
		{"<key>": 1, "b": 2, "B": 4},
	}
	payloads := append(append([]map[string]any{}, exact...), divergent...)
	events := make([]event.Event, len(payloads))
	for i, p := range payloads {
		events[i] = event.Event{Type: "t", Payload: p}
	}
	got, err := encodePayloads(events)
	require.NoError(t, err)
	require.Len(t, got, len(payloads))
	for i, p := range payloads {
		assert.True(t, json.Valid([]byte(got[i])), "payload %d", i)
		if i < len(exact) {
			assert.Equal(t, marshal(t, p), got[i], "payload %d", i)
		} else {
			sameJSON(t, marshal(t, p), got[i], "payload %d", i)
		}
	}
}

func TestEncodePayloadsRefusesWhatJSONCannotHold(t *testing.T) {
	_, err := encodePayloads([]event.Event{{Type: "attendance.marked", Payload: map[string]any{"x": math.NaN()}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encode event attendance.marked")
	_, err = encodePayloads([]event.Event{{Type: "t", Payload: map[string]any{"ch": make(chan int)}}})
	require.Error(t, err)
	_, err = encodePayloads([]event.Event{{}, {Type: "risk.assessed", Payload: map[string]any{"x": math.Inf(1)}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encode event risk.assessed")
}

// FuzzEncodePayloads: for any strings and numbers, the payloads hold the
// values encoding/json writes.
func FuzzEncodePayloads(f *testing.F) {
	f.Add("status", "present", int64(1), true, 0.25)
	f.Add("<", "a&b\"c\\d", int64(-1), false, 1e300)
	f.Add("\xff", "\u2028\x00\n", int64(math.MinInt64), true, math.Copysign(0, -1))
	f.Fuzz(func(t *testing.T, k, v string, n int64, b bool, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			x = 0
		}
		p := map[string]any{k: v, k + "n": n, k + "b": b, k + "x": x, "nested": map[string]any{v: k, "n": n}}
		got, err := encodePayloads([]event.Event{{Payload: p}, {Payload: map[string]any{v: nil}}})
		require.NoError(t, err)
		sameJSON(t, marshal(t, p), got[0])
		sameJSON(t, marshal(t, map[string]any{v: nil}), got[1])
		// What goccy may write otherwise (float exponents, the order of
		// escaped keys) does not excuse a character encoding/json escapes.
		for i, text := range got {
			if strings.ContainsAny(text, "<>&\u2028\u2029") {
				t.Fatalf("payload %d leaves a character unescaped: %s", i, text)
			}
		}
	})
}
