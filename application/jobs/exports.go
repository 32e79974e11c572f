package jobs

// ExportRun is the job type that builds one export file (its id in the
// payload) and stores it in the blob store.
const ExportRun = "export:run"

// ExportRunJob is its payload: only the export's id; the export's record
// holds the kind, format, filters and who asked.
type ExportRunJob struct {
	ExportID string `json:"export_id"`
}

// ExportReport is the result a finished export task reports.
type ExportReport struct {
	ExportID string `json:"export_id"`
	Rows     int    `json:"rows"`
	Size     int64  `json:"size"`
}
