package jobs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// StudentImport is the job type of a student CSV import too large to run
// within its request.
const StudentImport = "student:import"

// StudentImportJob is its payload: the file as uploaded and who asked,
// so the run is audited as theirs (their account is checked again when
// it runs).
type StudentImportJob struct {
	UserID    int64  `json:"user_id"`
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	DryRun    bool   `json:"dry_run"`
	// CSVGzip is the file, gzip-compressed: CSV shrinks several times,
	// and every read of the task (GET /tasks/{id}, asynqmon) carries it.
	CSVGzip []byte `json:"csv_gzip"`
}

// ImportReport is the result a finished import task reports: the same
// figures the synchronous import answers with.
type ImportReport struct {
	DryRun    bool             `json:"dry_run"`
	Rows      int              `json:"rows"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Errors    []ImportRowError `json:"errors"`
}

// ImportRowError is one problem with one data row.
type ImportRowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Compress gzips a file for a job payload.
func Compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress: %w", err)
	}
	return buf.Bytes(), nil
}

// Decompress reverses Compress, reading at most limit bytes.
func Decompress(b []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("decompress: more than %d bytes", limit)
	}
	return out, nil
}
