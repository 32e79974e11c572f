package complaint

import (
	"bytes"
	_ "embed" // the triage rules ship inside the binary
	"encoding/json"
	"errors"
	"io"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
)

// triageRules are the triage agent's keyword rules, kept as data: edit the
// JSON file, not the code, to change what the agent suggests.
//
//go:embed triage_rules.json
var triageRules []byte

// rulesFile is the JSON shape of a rules file: {"rules": [{"name",
// "category"?, "priority"?, "keywords": [...]}]}, rules in precedence order.
type rulesFile struct {
	Rules []ruleJSON `json:"rules"`
}

type ruleJSON struct {
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Priority string   `json:"priority"`
	Keywords []string `json:"keywords"`
}

// ParseRules reads a rules file into validated rules. Malformed JSON,
// unknown fields, trailing data and invalid rules are fault.Invalid.
func ParseRules(data []byte) (complaint.Rules, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f rulesFile
	if err := dec.Decode(&f); err != nil {
		return complaint.Rules{}, fault.Wrap(fault.Invalid, "triage rules: not a rules document: "+err.Error(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return complaint.Rules{}, fault.New(fault.Invalid, "triage rules: unexpected data after the rules document")
	}
	rs := make([]complaint.Rule, len(f.Rules))
	for i, r := range f.Rules {
		rs[i] = complaint.Rule{Name: r.Name, Category: complaint.Category(r.Category), Priority: complaint.Priority(r.Priority), Keywords: r.Keywords}
	}
	return complaint.NewRules(rs)
}

// DefaultRules are the rules shipped with the campus.
func DefaultRules() (complaint.Rules, error) { return ParseRules(triageRules) }
