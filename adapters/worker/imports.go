package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/student"
	"github.com/campus/campus/domain/fault"
)

// StudentImports registers the background student import: it runs the
// import as its requester and reports the figures as the task's result.
func (w *Worker) StudentImports(s *student.Service) {
	w.Handle(jobs.StudentImport, func(ctx context.Context, payload []byte) error {
		var job jobs.StudentImportJob
		if err := json.Unmarshal(payload, &job); err != nil || job.UserID == 0 {
			return fault.New(fault.Invalid, "malformed student import payload")
		}
		res, err := s.RunImport(ctx, job)
		if err != nil {
			return err
		}
		b, err := json.Marshal(res.Report())
		if err != nil {
			return fmt.Errorf("encode import report: %w", err)
		}
		return queue.WriteResult(ctx, b)
	})
}
