package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gofiber/fiber/v2"
)

var fiberParam = regexp.MustCompile(`:([a-zA-Z_]+)`)

// OpenAPIPath turns a Fiber path into an OpenAPI one (:id → {id}).
func OpenAPIPath(p string) string { return fiberParam.ReplaceAllString(p, "{$1}") }

func (s *Server) openAPI(c *fiber.Ctx) error {
	d := &s.openAPIDoc
	d.Do(func() {
		doc, err := s.OpenAPI()
		if err != nil {
			d.err = err
			return
		}
		d.body, d.err = json.Marshal(doc)
	})
	if d.err != nil {
		return d.err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(d.body)
}

// OpenAPI builds the OpenAPI 3 document from the route table.
func (s *Server) OpenAPI() (*openapi3.T, error) {
	schemas := openapi3.Schemas{}
	gen := openapi3gen.NewGenerator(openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
		ExportComponentSchemas: true, ExportGenerics: false,
	}), openapi3gen.SchemaCustomizer(customizeSchema))
	schemaOf := func(v any) (*openapi3.SchemaRef, error) { return gen.NewSchemaRefForValue(v, schemas) }
	// The generator refers to the customised nullable types by name but
	// leaves their components out; they are what customizeSchema says.
	for _, v := range []any{Nullable{}, NullableString{}} {
		sch := &openapi3.Schema{}
		if err := customizeSchema("", reflect.TypeOf(v), "", sch); err != nil {
			return nil, err
		}
		schemas[reflect.TypeOf(v).Name()] = openapi3.NewSchemaRef("", sch)
	}

	problem, err := schemaOf(Problem{})
	if err != nil {
		return nil, err
	}
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "campus API", Version: s.cfg.Version,
			Description: "Students, attendance, complaints, timetables, clubs and risk detection for a university campus. " +
				"Errors are RFC 9457 problem documents (application/problem+json)."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas:         schemas,
			SecuritySchemes: openapi3.SecuritySchemes{"bearerAuth": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme()}},
			Responses:       openapi3.ResponseBodies{},
		},
	}
	problemResp := func(desc string) *openapi3.ResponseRef {
		return &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription(desc).
			WithContent(openapi3.Content{"application/problem+json": openapi3.NewMediaType().WithSchemaRef(problem)})}
	}
	for _, r := range s.routes {
		op := openapi3.NewOperation()
		op.Summary = r.Summary
		op.Tags = []string{r.Tag}
		op.OperationID = operationID(r)
		if r.Guard.NeedsToken() || r.Guard.Kind == guardOptional {
			op.Description = "Access: " + r.Guard.String() + "."
		}
		if r.Guard.NeedsToken() {
			op.Security = &openapi3.SecurityRequirements{{"bearerAuth": {}}}
		} else if r.Guard.Kind == guardOptional {
			op.Security = &openapi3.SecurityRequirements{{}, {"bearerAuth": {}}}
		} else {
			op.Security = &openapi3.SecurityRequirements{}
		}
		for _, name := range fiberParam.FindAllStringSubmatch(r.Path, -1) {
			typ := "integer"
			if name[1] == "name" || (name[1] == "id" && (strings.Contains(r.Path, "/auth/sessions/") || strings.Contains(r.Path, "/tasks/"))) {
				typ = "string"
			}
			op.AddParameter(openapi3.NewPathParameter(name[1]).WithSchema(&openapi3.Schema{Type: &openapi3.Types{typ}}))
		}
		for _, q := range r.Query {
			op.AddParameter(openapi3.NewQueryParameter(q.Name).WithDescription(q.Description).
				WithSchema(&openapi3.Schema{Type: &openapi3.Types{q.Type}}))
		}
		if r.Request != nil {
			ref, err := schemaOf(r.Request)
			if err != nil {
				return nil, fmt.Errorf("schema of %s %s request: %w", r.Method, r.Path, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(r.Method != "POST" || !strings.HasSuffix(r.Path, "/logout")).
				WithContent(openapi3.NewContentWithJSONSchemaRef(ref))}
		}
		if len(r.RawBody) > 0 {
			content := openapi3.Content{}
			for _, mt := range r.RawBody {
				schema := &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"}
				if mt == "multipart/form-data" {
					schema = &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{
						"file": &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{"string"}, Format: "binary"}}}}
				}
				content[mt] = openapi3.NewMediaType().WithSchema(schema)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithContent(content)}
		}
		ok := openapi3.NewResponse().WithDescription(http.StatusText(r.Status))
		switch {
		case r.Response != nil:
			ref, err := schemaOf(r.Response)
			if err != nil {
				return nil, fmt.Errorf("schema of %s %s response: %w", r.Method, r.Path, err)
			}
			ok = ok.WithContent(openapi3.NewContentWithJSONSchemaRef(ref))
		case r.Path == "/metrics":
			ok = ok.WithContent(openapi3.Content{"text/plain": openapi3.NewMediaType()})
		case r.Path == "/docs":
			ok = ok.WithContent(openapi3.Content{"text/html": openapi3.NewMediaType()})
		case r.Path == "/openapi.json":
			ok = ok.WithContent(openapi3.Content{"application/json": openapi3.NewMediaType()})
		case r.Path == pprofPrefix+"/":
			ok = ok.WithContent(openapi3.Content{"text/html": openapi3.NewMediaType()})
		case strings.HasPrefix(r.Path, pprofPrefix):
			ok = ok.WithContent(openapi3.Content{"application/octet-stream": openapi3.NewMediaType(), "text/plain": openapi3.NewMediaType()})
		}
		op.Responses = openapi3.NewResponses()
		op.Responses.Set(strconv.Itoa(r.Status), &openapi3.ResponseRef{Value: ok})
		if r.Accepted != nil {
			ref, err := schemaOf(r.Accepted)
			if err != nil {
				return nil, fmt.Errorf("schema of %s %s accepted response: %w", r.Method, r.Path, err)
			}
			op.Responses.Set("202", &openapi3.ResponseRef{Value: openapi3.NewResponse().
				WithDescription("Accepted: running as a background task").WithContent(openapi3.NewContentWithJSONSchemaRef(ref))})
		}
		for _, code := range errorCodes(r) {
			op.Responses.Set(strconv.Itoa(code), problemResp(http.StatusText(code)))
		}
		doc.AddOperation(OpenAPIPath(r.Path), r.Method, op)
	}
	return doc, nil
}

func errorCodes(r Route) []int {
	codes := map[int]bool{500: true}
	if r.Request != nil || len(r.RawBody) > 0 {
		codes[400], codes[413], codes[415], codes[422] = true, true, true, true
	}
	if r.Guard.NeedsToken() || r.Guard.Kind == guardOptional {
		codes[401] = true
	}
	if r.Guard.Kind == guardRole || r.Guard.Kind == guardPermission || r.Guard.Kind == guardOnlyRole || r.Guard.Kind == guardOptional {
		codes[403] = true
	}
	if strings.Contains(r.Path, ":") {
		codes[404] = true
	}
	if r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
		codes[409] = true
	}
	if r.Limited || strings.HasSuffix(r.Path, "/login") {
		codes[429] = true
	}
	if strings.HasPrefix(r.Path, v1) || strings.HasPrefix(r.Path, "/health") {
		codes[503] = true
	}
	out := make([]int, 0, len(codes))
	for c := range codes {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

func operationID(r Route) string {
	p := strings.NewReplacer("/api/v1/", "", "/", "_", ":", "by_", "-", "_", ".", "_").Replace(r.Path)
	return strings.ToLower(r.Method) + "_" + strings.Trim(p, "_")
}

// customizeSchema documents the wire form of types whose Go shape differs.
func customizeSchema(name string, t reflect.Type, _ reflect.StructTag, schema *openapi3.Schema) error {
	switch t.Name() {
	case "Nullable":
		*schema = openapi3.Schema{Type: &openapi3.Types{"integer"}, Nullable: true}
	case "NullableString":
		*schema = openapi3.Schema{Type: &openapi3.Types{"string"}, Nullable: true}
	}
	return nil
}
