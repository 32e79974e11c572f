package jobs

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
	CSV       []byte `json:"csv"`
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
