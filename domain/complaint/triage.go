package complaint

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// Rule is one keyword rule of the triage agent: when any of its keywords
// occurs in a complaint's title or description, it suggests its category
// and/or its priority. A keyword is one or more words matched as whole
// words, case-insensitively (punctuation counts as a space, so "wi-fi"
// matches "wi fi"); a trailing "*" makes its last word a prefix ("leak*"
// matches leak, leaks, leaking).
type Rule struct {
	Name     string
	Category Category // empty: the rule suggests no category
	Priority Priority // empty: the rule suggests no priority
	Keywords []string
}

// Rule limits.
const (
	RuleNameMax      = 64
	KeywordPrefixMin = 3 // runes before a "*": shorter prefixes match too much
)

// Rules is a validated, ordered set of rules. The order settles ties: an
// earlier rule wins.
type Rules struct{ rules []compiledRule }

type compiledRule struct {
	Rule
	keywords []keyword
}

// keyword is a parsed keyword: its words, the last one a prefix when the
// keyword ended in "*".
type keyword struct {
	text   string // as normalised, e.g. "leak*", "wi fi"
	words  []string
	prefix bool
}

// NewRules validates rs: every rule named (uniquely), suggesting a valid
// category or priority or both, with at least one well-formed keyword and
// no keyword twice. Problems are fault.Invalid, one field per problem.
func NewRules(rs []Rule) (Rules, error) {
	var v fault.Validation
	v.Check(len(rs) > 0, "rules", "must hold at least one rule")
	seen := map[string]bool{}
	out := make([]compiledRule, 0, len(rs))
	for i, r := range rs {
		at := fmt.Sprintf("rules[%d]", i)
		name := strings.TrimSpace(r.Name)
		v.Check(name != "" && utf8.RuneCountInString(name) <= RuleNameMax, at+".name", "must be 1 to 64 characters")
		v.Check(!seen[name], at+".name", "must be unique")
		seen[name] = true
		cr := compiledRule{Rule: Rule{Name: name}}
		if r.Category != "" {
			c, err := ParseCategory(string(r.Category))
			v.Check(err == nil, at+".category", msgCategory)
			cr.Category = c
		}
		if r.Priority != "" {
			p, err := ParsePriority(string(r.Priority))
			v.Check(err == nil, at+".priority", msgPriority)
			cr.Priority = p
		}
		v.Check(r.Category != "" || r.Priority != "", at, "must suggest a category, a priority or both")
		v.Check(len(r.Keywords) > 0, at+".keywords", "must hold at least one keyword")
		kwSeen := map[string]bool{}
		for j, raw := range r.Keywords {
			kw, err := parseKeyword(raw)
			field := fmt.Sprintf("%s.keywords[%d]", at, j)
			if err != "" {
				v.Add(field, err)
				continue
			}
			v.Check(!kwSeen[kw.text], field, "is listed twice")
			kwSeen[kw.text] = true
			cr.keywords = append(cr.keywords, kw)
			cr.Keywords = append(cr.Keywords, kw.text)
		}
		out = append(out, cr)
	}
	if err := v.Err(); err != nil {
		return Rules{}, err
	}
	return Rules{rules: out}, nil
}

// parseKeyword normalises one keyword, or says what is wrong with it.
func parseKeyword(raw string) (keyword, string) {
	s := strings.ToLower(strings.TrimSpace(raw))
	prefix := strings.HasSuffix(s, "*")
	s = strings.TrimSuffix(s, "*")
	if strings.Contains(s, "*") {
		return keyword{}, `may hold "*" only at its end`
	}
	words := tokenize(s)
	if len(words) == 0 {
		return keyword{}, "must hold a word"
	}
	if prefix && (strings.HasSuffix(s, " ") || utf8.RuneCountInString(words[len(words)-1]) < KeywordPrefixMin) {
		return keyword{}, fmt.Sprintf(`needs at least %d letters before "*"`, KeywordPrefixMin)
	}
	text := strings.Join(words, " ")
	if prefix {
		text += "*"
	}
	return keyword{text: text, words: words, prefix: prefix}, ""
}

// tokenize splits text into lower-case words: runs of letters and digits.
func tokenize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// Len is the number of rules.
func (rs Rules) Len() int { return len(rs.rules) }

// Match is one rule that matched a text and the keywords that did.
type Match struct {
	Rule     string
	Keywords []string // as written in the rule (normalised), in rule order
}

func (m Match) String() string {
	return fmt.Sprintf("rule %q matched %s", m.Rule, strings.Join(m.Keywords, ", "))
}

// Suggestion is what the rules suggest for a text.
type Suggestion struct {
	// Category is the category of the matching rule with the most matched
	// keywords (the earlier rule on a tie); empty when none matched.
	Category   Category
	CategoryBy Match
	// Priority is the highest priority among the matching rules (more
	// matched keywords, then the earlier rule, on a tie); empty when none.
	Priority   Priority
	PriorityBy Match
}

// Suggest matches every rule against text.
func (rs Rules) Suggest(text string) Suggestion {
	words := tokenize(text)
	var s Suggestion
	bestCat, bestPrio := 0, 0
	for _, r := range rs.rules {
		var hit []string
		for _, kw := range r.keywords {
			if kw.in(words) {
				hit = append(hit, kw.text)
			}
		}
		if len(hit) == 0 {
			continue
		}
		m := Match{Rule: r.Name, Keywords: hit}
		if r.Category != "" && len(hit) > bestCat {
			s.Category, s.CategoryBy, bestCat = r.Category, m, len(hit)
		}
		if r.Priority != "" && (s.Priority == "" || rank(r.Priority) > rank(s.Priority) ||
			(r.Priority == s.Priority && len(hit) > bestPrio)) {
			s.Priority, s.PriorityBy, bestPrio = r.Priority, m, len(hit)
		}
	}
	return s
}

// in reports whether the keyword occurs in words.
func (k keyword) in(words []string) bool {
	n := len(k.words)
	for i := 0; i+n <= len(words); i++ {
		ok := true
		for j, w := range k.words {
			got := words[i+j]
			if j == n-1 && k.prefix {
				ok = strings.HasPrefix(got, w)
			} else {
				ok = got == w
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func rank(p Priority) int {
	for i, q := range Priorities {
		if q == p {
			return i
		}
	}
	return -1
}

// Assignee is the staff member the triage agent picked: the active staff
// account with the fewest open complaints assigned (the lowest id on a
// tie), with that number.
type Assignee struct {
	UserID int64
	Open   int
}

// Triage is the triage agent's decision for one complaint.
type Triage struct {
	Changes []FieldChange
	// Reasons explain every part of the decision, including what was left
	// alone and why.
	Reasons []string
	// Assigned is set when the complaint was assigned by this decision.
	Assigned *int64
}

// Note is the reasons as one history note, cut to NoteMax characters.
func (t Triage) Note() string {
	s := strings.Join(t.Reasons, "; ")
	if utf8.RuneCountInString(s) <= NoteMax {
		return s
	}
	r := []rune(s)
	return string(r[:NoteMax-1]) + "…"
}

// Triageable reports whether the triage agent may act on the complaint:
// only while it is pending (once staff have taken it up, they decide).
func (c Complaint) Triageable() bool { return c.Status == Pending }

// Triage applies the agent's decision at now: the suggested category and
// priority where the value is still the default the filer left (a
// priority change moves due_at, counted from filing as every priority
// change is), and the assignee when no one is assigned yet (a nil
// assignee: there is no active staff member). It never fails; the
// reasons say what was done and what was not.
func (c *Complaint) Triage(s Suggestion, a *Assignee, now time.Time) Triage {
	next := *c
	var reasons []string
	switch {
	case s.Category == "":
		reasons = append(reasons, fmt.Sprintf("category %s kept: no rule suggests one", c.Category))
	case !c.CategoryDefaulted:
		reasons = append(reasons, fmt.Sprintf("category %s kept: chosen by the filer (%s, suggesting %s)", c.Category, s.CategoryBy, s.Category))
	default:
		next.Category, next.CategoryDefaulted = s.Category, false
		reasons = append(reasons, fmt.Sprintf("category %s: %s", s.Category, s.CategoryBy))
	}
	switch {
	case s.Priority == "":
		reasons = append(reasons, fmt.Sprintf("priority %s kept: no rule suggests one", c.Priority))
	case !c.PriorityDefaulted:
		reasons = append(reasons, fmt.Sprintf("priority %s kept: chosen by the filer (%s, suggesting %s)", c.Priority, s.PriorityBy, s.Priority))
	default:
		next.Priority, next.PriorityDefaulted = s.Priority, false
		next.DueAt = DueAt(c.CreatedAt, s.Priority)
		reasons = append(reasons, fmt.Sprintf("priority %s: %s; due_at %s (%s from filing)", s.Priority, s.PriorityBy,
			stampText(next.DueAt), hours(s.Priority.Window())))
	}
	var assigned *int64
	switch {
	case c.AssignedTo != nil:
		reasons = append(reasons, fmt.Sprintf("assignee %d kept: already assigned", *c.AssignedTo))
	case a == nil:
		reasons = append(reasons, "not assigned: there is no active staff member")
	default:
		id := a.UserID
		next.AssignedTo, assigned = &id, &id
		reasons = append(reasons, fmt.Sprintf("assigned to user %d: the active staff member with the fewest open complaints (%d; lowest id on a tie)", id, a.Open))
	}
	changes := diffTriage(*c, next)
	if len(changes) > 0 {
		next.UpdatedAt = now.UTC()
	}
	*c = next
	return Triage{Changes: changes, Reasons: reasons, Assigned: assigned}
}

// diffTriage is diff with the category, which only triage changes.
func diffTriage(a, b Complaint) []FieldChange {
	var out []FieldChange
	if a.Category != b.Category {
		out = append(out, FieldChange{Field: "category", From: string(a.Category), To: string(b.Category)})
	}
	return append(out, diff(a, b)...)
}
