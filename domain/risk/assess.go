package risk

import "math"

// Level summarises a derived score in words.
type Level string

// Levels: None when nothing is open, then the severities' names.
const (
	LevelNone     Level = "none"
	LevelLow      Level = "low"
	LevelMedium   Level = "medium"
	LevelHigh     Level = "high"
	LevelCritical Level = "critical"
)

// LevelOf grades a 0–100 score. The bounds (25, 50, 75) are the weights of
// medium and high and the combination of two highs, so one open record
// alone yields the level of its own severity.
func LevelOf(score float64) Level {
	switch {
	case score >= 75:
		return LevelCritical
	case score >= 50:
		return LevelHigh
	case score >= 25:
		return LevelMedium
	case score > 0:
		return LevelLow
	}
	return LevelNone
}

// Assessment is a student's current risk: a 0–100 score, its level, and
// one factor per open record explaining it.
type Assessment struct {
	Score   float64
	Level   Level
	Factors []Factor
}

// Assess derives a student's score from their records (only open ones
// count; the scoring rules of the agents replace this later).
//
// Each open record claims its severity's weight w (low 10, medium 25,
// high 50, critical 80) of what the others left, so the records combine
// like independent probabilities:
//
//	score = 100 · (1 − Π (1 − wᵢ/100))
//
// It is order-independent, stays below 100, and grows with every record
// without one critical record being outweighed by many low ones. Each
// factor (name = risk type, value = severity, weight = wᵢ) gets the share
// of the score proportional to −ln(1 − wᵢ/100), its term in the log of
// the product, so the contributions add up to the score (up to rounding
// to two decimals, the precision of every figure here).
func Assess(records []Risk) Assessment {
	out := Assessment{Factors: []Factor{}}
	var logs []float64
	var sum float64
	for _, r := range records {
		if r.Status != Open {
			continue
		}
		w := r.Severity.Weight()
		l := -math.Log1p(-w / 100)
		logs = append(logs, l)
		sum += l
		out.Factors = append(out.Factors, Factor{Name: string(r.Type), Value: string(r.Severity), Weight: w})
	}
	if sum == 0 {
		out.Level = LevelNone
		return out
	}
	score := 100 * -math.Expm1(-sum)
	for i := range out.Factors {
		out.Factors[i].Contribution = round2(score * logs[i] / sum)
	}
	out.Score = round2(score)
	out.Level = LevelOf(out.Score)
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
