package httpapi

import (
	"bytes"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	appstudent "github.com/campus/campus/application/student"
)

// ImportErrorDTO is one problem with one data row (row 1 is the first row
// after the header).
type ImportErrorDTO struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ImportResultDTO is the answer of POST /students/import. rows = created +
// updated + unchanged + the rows named in errors.
type ImportResultDTO struct {
	DryRun    bool             `json:"dry_run"`
	Rows      int              `json:"rows"`
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Errors    []ImportErrorDTO `json:"errors"`
}

func importResultDTO(r appstudent.ImportResult) ImportResultDTO {
	errs := make([]ImportErrorDTO, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = ImportErrorDTO{Row: e.Row, Field: e.Field, Message: e.Message}
	}
	return ImportResultDTO{DryRun: r.DryRun, Rows: r.Rows, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Errors: errs}
}

// csvTypes are the content types a CSV body may be sent as: spreadsheets
// and browsers label CSV files inconsistently.
var csvTypes = map[string]bool{"text/csv": true, "application/csv": true, "text/plain": true,
	"application/vnd.ms-excel": true, "text/comma-separated-values": true}

const msgImportType = "Content-Type must be text/csv, or multipart/form-data with the file in the field \"file\""

func (s *Server) importStudents(c *fiber.Ctx) error {
	q := newQuery(c)
	dry := q.boolp("dry_run")
	if err := q.err(); err != nil {
		return err
	}
	body, closeBody, err := csvBody(c)
	if err != nil {
		return err
	}
	defer closeBody()
	csv, err := io.ReadAll(body) // bounded by the body limit
	if err != nil {
		return err
	}
	res, taskID, err := s.d.Students.Submit(c.UserContext(), caller(c), csv, dry != nil && *dry)
	if err != nil {
		return err
	}
	if taskID != "" {
		c.Location("/api/v1/tasks/" + taskID)
		return c.Status(fiber.StatusAccepted).JSON(ImportTaskDTO{TaskID: taskID, Rows: res.Rows, DryRun: res.DryRun})
	}
	return c.JSON(importResultDTO(res))
}

// ImportTaskDTO is the answer of POST /students/import for a file too
// large to import within the request: the background task doing it
// (GET /api/v1/tasks/{task_id}; its result has the figures of an
// ImportResultDTO).
type ImportTaskDTO struct {
	TaskID string `json:"task_id"`
	Rows   int    `json:"rows"`
	DryRun bool   `json:"dry_run"`
}

// csvBody returns the CSV file of an import request: the body itself, or
// the multipart field "file".
func csvBody(c *fiber.Ctx) (io.Reader, func(), error) {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil {
		return nil, nil, fiber.NewError(fiber.StatusUnsupportedMediaType, msgImportType)
	}
	mt = strings.ToLower(mt)
	switch {
	case csvTypes[mt]:
		return bytes.NewReader(c.Body()), func() {}, nil
	case mt == fiber.MIMEMultipartForm:
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, nil, invalidField("file", "is required: send the CSV file in the multipart field \"file\"")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, nil, err
		}
		return f, func() { _ = f.Close() }, nil
	}
	return nil, nil, fiber.NewError(fiber.StatusUnsupportedMediaType, msgImportType)
}
