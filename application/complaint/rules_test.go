package complaint_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/complaint"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
)

func TestParseRules(t *testing.T) {
	rs, err := app.ParseRules([]byte(`{"rules": [
		{"name": "wet", "category": "Facilities", "priority": "high", "keywords": ["leak*", "Wi-Fi"]},
		{"name": "calm", "priority": "low", "keywords": ["suggestion"]}
	]}`))
	require.NoError(t, err)
	assert.Equal(t, 2, rs.Len())
	s := rs.Suggest("The wi-fi LEAKS, a suggestion")
	assert.Equal(t, complaint.Facilities, s.Category)
	assert.Equal(t, complaint.High, s.Priority)
	assert.Equal(t, complaint.Match{Rule: "wet", Keywords: []string{"leak*", "wi fi"}}, s.CategoryBy)

	bad := []struct {
		name, doc string
		fields    []string
	}{
		{"empty", ``, nil},
		{"not JSON", `rules: []`, nil},
		{"not an object", `[]`, nil},
		{"unknown field", `{"rules": [], "version": 2}`, nil},
		{"unknown rule field", `{"rules": [{"name": "x", "category": "health", "keywords": ["a b"], "weight": 2}]}`, nil},
		{"trailing data", `{"rules": [{"name": "x", "category": "health", "keywords": ["sick"]}]} {}`, nil},
		{"wrong type", `{"rules": [{"name": 1}]}`, nil},
		{"no rules", `{"rules": []}`, []string{"rules"}},
		{"null rules", `{"rules": null}`, []string{"rules"}},
		{"invalid rule", `{"rules": [{"name": "x", "category": "food", "keywords": []}]}`, []string{"rules[0].category", "rules[0].keywords"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.ParseRules([]byte(tt.doc))
			assert.Equal(t, fault.Invalid, fault.KindOf(err), "error: %v", err)
			if tt.fields != nil {
				assert.Equal(t, tt.fields, fieldNames(err))
			}
		})
	}
}

// TestDefaultRules: the shipped rules parse and say what the campus
// expects of the common complaints.
func TestDefaultRules(t *testing.T) {
	rs, err := app.DefaultRules()
	require.NoError(t, err)
	tests := []struct {
		text     string
		category complaint.Category
		priority complaint.Priority
	}{
		{"The heater in hostel room 12 is broken and water leaks", complaint.Facilities, complaint.High},
		{"Wi-Fi in the library keeps dropping", complaint.Facilities, ""},
		{"I got food poisoning at the canteen and have a fever", complaint.Health, complaint.High},
		{"Seniors keep ragging and bullying first years", complaint.Conduct, complaint.High},
		{"My exam grade was recorded wrong", complaint.Academic, complaint.High},
		{"There is smoke and a fire alarm in block C", "", complaint.Urgent},
		{"A suggestion: more benches in the garden", "", complaint.Low},
		{"Nothing in particular to say here", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			s := rs.Suggest(tt.text)
			assert.Equal(t, tt.category, s.Category, "category by %v", s.CategoryBy)
			assert.Equal(t, tt.priority, s.Priority, "priority by %v", s.PriorityBy)
		})
	}
}

// FuzzParseRules: any input is either rules or fault.Invalid, never a
// panic; parsed rules match any text without panicking.
func FuzzParseRules(f *testing.F) {
	f.Add([]byte(`{"rules": [{"name": "x", "category": "health", "keywords": ["sick", "food poisoning", "injur*"]}]}`), "I am sick")
	f.Add([]byte(`{"rules": [{"name": "x", "priority": "urgent", "keywords": ["***", "a*b"]}]}`), "")
	f.Add([]byte(`{"rules": [{"name": "", "keywords": null}]}`), "x")
	f.Add([]byte(`{"rules": [{"name": "é", "category": "other", "keywords": ["\u00e9t\u00e9*"]}]} `), "Été été-été")
	f.Add([]byte(`{`), "\xff\xfe")
	f.Fuzz(func(t *testing.T, doc []byte, text string) {
		rs, err := app.ParseRules(doc)
		if err != nil {
			if fault.KindOf(err) != fault.Invalid {
				t.Fatalf("error of kind %v: %v", fault.KindOf(err), err)
			}
			return
		}
		if rs.Len() == 0 {
			t.Fatal("parsed rules are never empty")
		}
		s := rs.Suggest(text)
		if (s.Category == "") != (s.CategoryBy.Rule == "") || (s.Priority == "") != (s.PriorityBy.Rule == "") {
			t.Fatalf("a suggestion without its rule: %+v", s)
		}
	})
}
