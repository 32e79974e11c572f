package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	apprisk "github.com/campus/campus/application/risk"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/risk"
)

// riskRoutes lists the routes of the risk module, and the student CSV
// import, which the same slice built.
func (s *Server) riskRoutes() []Route {
	perm := RequirePermission(identity.RiskAssessment)
	return []Route{
		{Method: "GET", Path: v1 + "/risks", Tag: "risks", Summary: "List risk records", Guard: perm, Response: ListDTO[RiskDTO]{},
			Query: withPage(Param{"student_id", "integer", ""}, Param{"status", "string", "open|resolved"},
				Param{"severity", "string", "low|medium|high|critical"},
				Param{"risk_type", "string", "attendance|academic|behavioral|health|schedule|other"}), handler: s.listRisks},
		{Method: "POST", Path: v1 + "/risks", Tag: "risks", Summary: "Record a risk by hand (source manual)", Guard: perm,
			Request: RiskRequest{}, Response: RiskDTO{}, Status: fiber.StatusCreated, handler: s.createRisk},
		{Method: "GET", Path: v1 + "/risks/:id", Tag: "risks", Summary: "One risk record", Guard: perm, Response: RiskDTO{}, handler: s.getRisk},
		{Method: "PATCH", Path: v1 + "/risks/:id", Tag: "risks",
			Summary: "Resolve (status resolved, or resolve: true) or reopen a risk, grade it, or record the action taken; 409 when already resolved",
			Guard:   perm, Request: RiskPatchRequest{}, Response: RiskDTO{}, handler: s.patchRisk},
		// The student themself may read their own risk, so the guard admits
		// every role that could; the use case applies RISK_ASSESSMENT or
		// the own-record rule (another student's record is 404).
		{Method: "GET", Path: v1 + "/students/:id/risk", Tag: "students",
			Summary: "The student's current risk score, its level and factors, derived from their open risk records " +
				"(RISK_ASSESSMENT, or the student themself). Score = 100·(1 − Π(1 − wᵢ/100)) over open records with " +
				"severity weights low 10, medium 25, high 50, critical 80; level none|low (<25)|medium (<50)|high (<75)|critical",
			Guard: RequireRole(identity.RoleStudent), Response: StudentRiskDTO{}, handler: s.studentRisk},
		{Method: "POST", Path: v1 + "/students/import", Tag: "students",
			Summary: "Import students from CSV (body text/csv, or multipart field file): header row naming name, roll_no, department, " +
				"semester (required) and section, email, status in any order and case; upsert on roll_no; rows equal to the stored " +
				"record count as unchanged; dry_run=true applies nothing. Up to 5000 data rows answer 200 with the figures; a larger " +
				"file (up to 200000 rows, within the body limit MAX_BODY_BYTES) answers 202 with a task_id: GET /api/v1/tasks/{task_id} " +
				"reports it, with the same figures as its result when completed",
			Guard: RequirePermission(identity.CreateStudent), Response: ImportResultDTO{}, Accepted: ImportTaskDTO{}, RawBody: []string{"text/csv", "multipart/form-data"},
			Query:   []Param{{"dry_run", "boolean", "report what would happen without applying anything (default false)"}},
			handler: s.importStudents},
	}
}

// FactorDTO is one reason behind a risk score.
type FactorDTO struct {
	Name         string  `json:"name"`
	Value        any     `json:"value"`
	Weight       float64 `json:"weight"`
	Contribution float64 `json:"contribution"`
}

// RiskRequest is POST /risks.
type RiskRequest struct {
	StudentID   *int64      `json:"student_id"`
	RiskType    string      `json:"risk_type"`
	Severity    string      `json:"severity"`
	Score       *float64    `json:"score"`
	Factors     []FactorDTO `json:"factors"`
	Description string      `json:"description"`
	ActionTaken *string     `json:"action_taken"`
}

func (r RiskRequest) fields() risk.Fields {
	return risk.Fields{StudentID: r.StudentID, Type: r.RiskType, Severity: r.Severity, Score: r.Score,
		Factors: factorsIn(r.Factors), Description: r.Description, ActionTaken: r.ActionTaken}
}

// RiskPatchRequest is PATCH /risks/{id}: only the fields sent change.
// resolve: true is status "resolved"; action_taken null clears it.
type RiskPatchRequest struct {
	Status      *string        `json:"status"`
	Resolve     *bool          `json:"resolve"`
	Severity    *string        `json:"severity"`
	ActionTaken NullableString `json:"action_taken"`
}

func (r RiskPatchRequest) change() (risk.Change, error) {
	c := risk.Change{Status: r.Status, Severity: r.Severity}
	if r.Resolve != nil {
		if !*r.Resolve {
			return c, invalidField("resolve", "must be true (send status open to reopen)")
		}
		if r.Status != nil {
			return c, invalidField("resolve", "give either resolve or status, not both")
		}
		resolved := string(risk.Resolved)
		c.Status = &resolved
	}
	if r.ActionTaken.Set {
		v := r.ActionTaken.Value
		c.ActionTaken = &v
	}
	return c, nil
}

// RiskDTO is a risk record.
type RiskDTO struct {
	ID          int64       `json:"id"`
	StudentID   *int64      `json:"student_id"`
	RiskType    string      `json:"risk_type"`
	Severity    string      `json:"severity"`
	Score       *float64    `json:"score"`
	Factors     []FactorDTO `json:"factors"`
	Description string      `json:"description"`
	Source      string      `json:"source"`
	Status      string      `json:"status"`
	ActionTaken *string     `json:"action_taken"`
	CreatedAt   time.Time   `json:"created_at"`
	ResolvedAt  *time.Time  `json:"resolved_at"`
	ResolvedBy  *int64      `json:"resolved_by"`
}

func riskDTO(r risk.Risk) RiskDTO {
	return RiskDTO{ID: r.ID, StudentID: r.StudentID, RiskType: string(r.Type), Severity: string(r.Severity), Score: r.Score,
		Factors: factorsOut(r.Factors), Description: r.Description, Source: r.Source, Status: string(r.Status),
		ActionTaken: r.ActionTaken, CreatedAt: r.CreatedAt.UTC(), ResolvedAt: utcp(r.ResolvedAt), ResolvedBy: r.ResolvedBy}
}

func factorsIn(fs []FactorDTO) []risk.Factor {
	out := make([]risk.Factor, len(fs))
	for i, f := range fs {
		out[i] = risk.Factor{Name: f.Name, Value: f.Value, Weight: f.Weight, Contribution: f.Contribution}
	}
	return out
}

func factorsOut(fs []risk.Factor) []FactorDTO {
	out := make([]FactorDTO, len(fs))
	for i, f := range fs {
		out[i] = FactorDTO{Name: f.Name, Value: f.Value, Weight: f.Weight, Contribution: f.Contribution}
	}
	return out
}

// StudentRiskDTO is GET /students/{id}/risk.
type StudentRiskDTO struct {
	StudentID  int64       `json:"student_id"`
	Score      float64     `json:"score"`
	Level      string      `json:"level"`
	Factors    []FactorDTO `json:"factors"`
	Risks      []RiskDTO   `json:"risks"`
	AssessedAt time.Time   `json:"assessed_at"`
}

func studentRiskDTO(v apprisk.StudentView) StudentRiskDTO {
	risks := make([]RiskDTO, len(v.Open))
	for i, r := range v.Open {
		risks[i] = riskDTO(r)
	}
	return StudentRiskDTO{StudentID: v.StudentID, Score: v.Assessment.Score, Level: string(v.Assessment.Level),
		Factors: factorsOut(v.Assessment.Factors), Risks: risks, AssessedAt: v.AssessedAt.UTC()}
}

func (s *Server) listRisks(c *fiber.Ctx) error {
	q := newQuery(c)
	f := risk.Filter{StudentID: q.int64p("student_id")}
	if v := q.str("status"); v != "" {
		st, err := risk.ParseStatus(v)
		q.v.Check(err == nil, "status", "must be open or resolved")
		f.Status = st
	}
	if v := q.str("severity"); v != "" {
		sev, err := risk.ParseSeverity(v)
		q.v.Check(err == nil, "severity", "must be one of low, medium, high, critical")
		f.Severity = sev
	}
	if v := q.str("risk_type"); v != "" {
		t, err := risk.ParseType(v)
		q.v.Check(err == nil, "risk_type", "must be one of attendance, academic, behavioral, health, schedule, other")
		f.Type = t
	}
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Risks.List(c.UserContext(), caller(c), f, p)
	if err != nil {
		return err
	}
	return list(c, r, riskDTO)
}

func (s *Server) createRisk(c *fiber.Ctx) error {
	var req RiskRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	r, err := s.d.Risks.Create(c.UserContext(), caller(c), req.fields())
	if err != nil {
		return err
	}
	c.Location(v1 + "/risks/" + itoa(r.ID))
	return c.Status(fiber.StatusCreated).JSON(riskDTO(r))
}

func (s *Server) getRisk(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.d.Risks.Get(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(riskDTO(r))
}

func (s *Server) patchRisk(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req RiskPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	ch, err := req.change()
	if err != nil {
		return err
	}
	r, err := s.d.Risks.Update(c.UserContext(), caller(c), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(riskDTO(r))
}

func (s *Server) studentRisk(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.d.Risks.StudentRisk(c.UserContext(), caller(c), id)
	if err != nil {
		return err
	}
	return c.JSON(studentRiskDTO(v))
}
