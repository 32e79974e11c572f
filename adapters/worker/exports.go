package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/application/export"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/fault"
)

// Exports registers the export builder: it writes the export's file and
// reports its figures as the task's result.
func (w *Worker) Exports(s *export.Service) {
	w.Handle(jobs.ExportRun, func(ctx context.Context, payload []byte) error {
		var job jobs.ExportRunJob
		if err := json.Unmarshal(payload, &job); err != nil || job.ExportID == "" {
			return fault.New(fault.Invalid, "malformed export payload")
		}
		e, err := s.Run(ctx, job.ExportID)
		if err != nil {
			return err
		}
		b, err := json.Marshal(jobs.ExportReport{ExportID: e.ID, Rows: e.Rows, Size: e.Size})
		if err != nil {
			return fmt.Errorf("encode export report: %w", err)
		}
		return queue.WriteResult(ctx, b)
	})
}
