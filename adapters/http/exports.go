package httpapi

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/application/export"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// exportRoutes lists the routes of exports (CSV / XLSX files built in the
// background).
func (s *Server) exportRoutes() []Route {
	perm := RequirePermission(identity.ExportAnalytics)
	return []Route{
		{Method: "POST", Path: v1 + "/exports", Tag: "exports",
			Summary: "Export records as a file built in the background: kind students (filters department, semester, status), " +
				"attendance (student_id, from, to, status), complaints (status, category, priority, from, to: days in TIMEZONE " +
				"or RFC 3339) or risks (status, severity, risk_type); format csv or xlsx; an unknown filter is 422. Answers 202 " +
				"with the export's id (also its task's id, GET /api/v1/tasks/{task_id})",
			Guard: perm, Request: ExportRequest{}, Response: ExportTaskDTO{}, Status: fiber.StatusAccepted, handler: s.createExport},
		{Method: "GET", Path: v1 + "/exports/:id", Tag: "exports",
			Summary: "An export's status (pending|running|completed|failed), row count and size; the requester's own or, for an " +
				"admin, anyone's (else 404); 410 once expired (24 h after completion)",
			Guard: perm, Response: ExportDTO{}, handler: s.getExport},
		{Method: "GET", Path: v1 + "/exports/:id/download", Tag: "exports",
			Summary: "Download a completed export (text/csv or XLSX, as an attachment named <kind>-<date>.<format>); 409 before " +
				"completion or after a failure, 410 once expired",
			Guard: perm, handler: s.downloadExport},
	}
}

// ExportRequest is POST /exports. Filter values are strings or numbers.
type ExportRequest struct {
	Kind    string         `json:"kind"`
	Format  string         `json:"format"`
	Filters map[string]any `json:"filters"`
}

func (r ExportRequest) request() (export.Request, error) {
	var v fault.Validation
	filters := make(map[string]string, len(r.Filters))
	for k, val := range r.Filters {
		switch x := val.(type) {
		case nil:
		case string:
			filters[k] = x
		case float64:
			filters[k] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			v.Add("filters."+k, "must be a string or a number")
		}
	}
	return export.Request{Kind: r.Kind, Format: r.Format, Filters: filters}, v.Err()
}

// ExportTaskDTO answers POST /exports.
type ExportTaskDTO struct {
	TaskID   string `json:"task_id"`
	ExportID string `json:"export_id"`
	Status   string `json:"status"`
}

// ExportDTO is an export's status.
type ExportDTO struct {
	ID          string            `json:"id"`
	Kind        string            `json:"kind"`
	Format      string            `json:"format"`
	Filters     map[string]string `json:"filters"`
	Status      string            `json:"status"`
	Rows        int               `json:"rows"`
	Size        int64             `json:"size"`
	Error       *string           `json:"error"`
	RequestedBy int64             `json:"requested_by"`
	CreatedAt   time.Time         `json:"created_at"`
	CompletedAt *time.Time        `json:"completed_at"`
	ExpiresAt   *time.Time        `json:"expires_at"`
	// DownloadURL is set once completed.
	DownloadURL *string `json:"download_url"`
}

func exportDTO(e ports.Export) ExportDTO {
	d := ExportDTO{ID: e.ID, Kind: e.Kind, Format: e.Format, Filters: e.Filters, Status: string(e.Status), Rows: e.Rows,
		Size: e.Size, RequestedBy: e.RequestedBy, CreatedAt: e.CreatedAt.UTC(), CompletedAt: utcp(e.CompletedAt),
		ExpiresAt: utcp(e.ExpiresAt)}
	if e.Error != "" {
		d.Error = &e.Error
	}
	if e.Status == ports.ExportCompleted {
		u := v1 + "/exports/" + e.ID + "/download"
		d.DownloadURL = &u
	}
	return d
}

// exportTypes are the downloads' media types.
var exportTypes = map[string]string{
	export.FormatCSV:  "text/csv; charset=utf-8",
	export.FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

// gone turns an expired export into 410 Gone.
func gone(err error) error {
	var fe *fault.Error
	if errors.As(err, &fe) && fe == export.ErrExpired {
		return fiber.NewError(fiber.StatusGone, fe.Message)
	}
	return err
}

func (s *Server) createExport(c *fiber.Ctx) error {
	var req ExportRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := req.request()
	if err != nil {
		return err
	}
	e, err := s.d.Exports.Submit(c.UserContext(), caller(c), r)
	if err != nil {
		return err
	}
	c.Location(v1 + "/exports/" + e.ID)
	return c.Status(fiber.StatusAccepted).JSON(ExportTaskDTO{TaskID: e.ID, ExportID: e.ID, Status: string(e.Status)})
}

func (s *Server) getExport(c *fiber.Ctx) error {
	e, err := s.d.Exports.Get(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return gone(err)
	}
	return c.JSON(exportDTO(e))
}

// downloadExport streams the file: the body is read from the blob store
// as it is sent, after this handler returns, hence a context that
// outlives the handler's.
func (s *Server) downloadExport(c *fiber.Ctx) error {
	f, err := s.d.Exports.Open(context.WithoutCancel(c.UserContext()), caller(c), c.Params("id"))
	if err != nil {
		return gone(err)
	}
	c.Set(fiber.HeaderContentType, exportTypes[f.Export.Format])
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+f.Name+`"`)
	return c.SendStream(f.Body, int(f.Size))
}
