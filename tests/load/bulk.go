package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// bulkResult is one scenario's median throughput in rows per second.
type bulkResult struct {
	name string
	rps  float64
	took time.Duration
}

// benchBulkSection reports benchBulk for 10 000 rows.
func benchBulkSection(b *bench) (string, error) {
	bulk, err := benchBulk(b.ctx, b.dbURL, b.apiBase, b.token, 10000, b.rounds)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	s.WriteString("## POST /attendance/bulk\n\n| scenario (10 000 rows) | rows/s | time | ratio to COPY | goal |\n|---|---|---|---|---|\n")
	for i, r := range bulk {
		ratio, goal := 1.0, "—"
		if i > 0 {
			ratio, goal = r.rps/bulk[0].rps, "≥ 0.40"
		}
		fmt.Fprintf(&s, "| %s | %.0f | %s | %.2f | %s |\n", r.name, r.rps, r.took.Round(time.Millisecond), ratio, goal)
	}
	return s.String(), nil
}

// benchBulk compares POST /attendance/bulk of n records with PostgreSQL's
// own COPY of the same rows into the same table, alternating over rounds on
// fresh dates so both only insert.
func benchBulk(ctx context.Context, dbURL, apiBase, token string, n, rounds int) ([]bulkResult, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	ids, err := seedStudents(ctx, conn, n)
	if err != nil {
		return nil, fmt.Errorf("seed students: %w", err)
	}
	var api, cp []time.Duration
	day := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	// One unmeasured call of each on days of their own first: the first
	// bulk call of a process pays for cold caches, connections and
	// prepared plans, which is not what the rounds compare.
	if _, err := postBulk(apiBase, token, day.AddDate(0, 0, -2), ids); err != nil {
		return nil, err
	}
	if _, err := copyBulk(ctx, conn, day.AddDate(0, 0, -1), ids); err != nil {
		return nil, err
	}
	for r := 0; r < rounds; r++ {
		apiDay, copyDay := day.AddDate(0, 0, 2*r), day.AddDate(0, 0, 2*r+1)
		d, err := postBulk(apiBase, token, apiDay, ids)
		if err != nil {
			return nil, err
		}
		api = append(api, d)
		c, err := copyBulk(ctx, conn, copyDay, ids)
		if err != nil {
			return nil, err
		}
		cp = append(cp, c)
		fmt.Printf("  round %d bulk %d rows: API %s, COPY %s\n", r+1, n, d.Round(time.Millisecond), cp[r].Round(time.Millisecond))
	}
	return []bulkResult{median("COPY into attendance_records (baseline)", cp, n), median("POST /attendance/bulk, PostgreSQL", api, n)}, nil
}

// copyBulk copies one present record per student on day into
// attendance_records and returns how long that took.
func copyBulk(ctx context.Context, conn *pgx.Conn, day time.Time, ids []int64) (time.Duration, error) {
	start := time.Now()
	rows := make([][]any, len(ids))
	for i, id := range ids {
		rows[i] = []any{id, day, "daily", "present", "", time.Now().UTC(), time.Now().UTC()}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"attendance_records"},
		[]string{"student_id", "date", "session", "status", "remarks", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
		return 0, fmt.Errorf("copy: %w", err)
	}
	return time.Since(start), nil
}

func median(name string, ds []time.Duration, n int) bulkResult {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	m := s[len(s)/2]
	return bulkResult{name: name, took: m, rps: float64(n) / m.Seconds()}
}

func postBulk(base, token string, day time.Time, ids []int64) (time.Duration, error) {
	type rec struct {
		StudentID int64  `json:"student_id"`
		Status    string `json:"status"`
	}
	body := struct {
		Date    string `json:"date"`
		Session string `json:"session"`
		Records []rec  `json:"records"`
	}{Date: day.Format(time.DateOnly), Session: "daily", Records: make([]rec, len(ids))}
	for i, id := range ids {
		st := "present"
		if i%10 == 0 {
			st = "absent"
		}
		body.Records[i] = rec{StudentID: id, Status: st}
	}
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequest("POST", base+"/api/v1/attendance/bulk", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("bulk: %d %s", resp.StatusCode, out)
	}
	return took, nil
}

// seedStudents adds n students with COPY and returns their ids.
func seedStudents(ctx context.Context, conn *pgx.Conn, n int) ([]int64, error) {
	rows := make([][]any, n)
	now := time.Now().UTC()
	for i := range rows {
		rows[i] = []any{fmt.Sprintf("Bench Student %d", i), fmt.Sprintf("BENCH-%06d", i), "Bench", 1 + i%8, "A", "active", now, now}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"students"},
		[]string{"name", "roll_no", "department", "semester", "section", "status", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, err
	}
	r, err := conn.Query(ctx, "SELECT id FROM students WHERE roll_no LIKE 'BENCH-%' ORDER BY id")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, pgx.RowTo[int64])
}
