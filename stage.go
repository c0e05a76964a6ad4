package handoff

import (
	"fmt"
	"strings"
)

// Stage is where a lead stands in the funnel.
type Stage string

// The stages. The main path runs from StageLead to StageWon; StageLost and
// StageRecycled leave it.
const (
	StageLead        Stage = "lead"
	StageMQL         Stage = "mql"
	StageSQL         Stage = "sql"
	StageClaimed     Stage = "claimed"
	StageContacted   Stage = "contacted"
	StageOpportunity Stage = "opportunity"
	StageWon         Stage = "won"
	StageLost        Stage = "lost"
	StageRecycled    Stage = "recycled"
)

// MainPath lists the main-path stages in order.
var MainPath = []Stage{StageLead, StageMQL, StageSQL, StageClaimed, StageContacted, StageOpportunity, StageWon}

// AllStages lists every stage, main path first.
var AllStages = append(append([]Stage{}, MainPath...), StageLost, StageRecycled)

// ParseStage returns the stage named s (case-insensitive), or an error naming
// the unknown value.
func ParseStage(s string) (Stage, error) {
	st := Stage(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range AllStages {
		if st == known {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown stage %q", s)
}

// Rank is the stage's position on the main path (0 for lead … 6 for won), or
// -1 for a stage off the main path.
func (s Stage) Rank() int {
	for i, m := range MainPath {
		if s == m {
			return i
		}
	}
	return -1
}

// OnMainPath reports whether the stage is on the main path.
func (s Stage) OnMainPath() bool { return s.Rank() >= 0 }

// Open reports whether a lead in this stage is still being worked by sales
// (an SQL that is not yet won, lost or recycled).
func (s Stage) Open() bool {
	r := s.Rank()
	return r >= StageSQL.Rank() && r < StageWon.Rank()
}

// HoldsReason reports whether a lead in this stage has a reason, why it is
// there: lost and recycled do; a lead in any other stage has none (the
// reasons of the losses and returns it left stay in its events, where the
// funnel counts them).
func (s Stage) HoldsReason() bool { return s == StageLost || s == StageRecycled }

// Transition is the outcome of moving a lead from one stage to another.
type Transition struct {
	// Changed is false when the lead is already in the target stage.
	Changed bool
	// Entered lists the stages entered, in order: the main-path stages the lead
	// had never reached before the target (implied), then the target itself.
	Entered []Stage
}

// PlanTransition decides how a lead in stage from, whose highest main-path
// stage ever reached has rank reached (-1 for a new lead), moves to stage to.
// It returns an error with code ECONFLICT when the move goes backwards along
// the main path (only recycled may go back) or leaves a won lead.
func PlanTransition(from Stage, reached int, to Stage) (Transition, error) {
	if from == to {
		return Transition{}, nil
	}
	if from == StageWon && to != StageRecycled {
		return Transition{}, Errorf(ECONFLICT, "lead is already won; it cannot move to %s", to)
	}
	if to.OnMainPath() && from.OnMainPath() && to.Rank() < from.Rank() {
		return Transition{}, Errorf(ECONFLICT, "stage cannot move backwards from %s to %s (only to recycled)", from, to)
	}
	var entered []Stage
	if to.OnMainPath() {
		for r := reached + 1; r < to.Rank(); r++ {
			entered = append(entered, MainPath[r])
		}
	}
	entered = append(entered, to)
	return Transition{Changed: true, Entered: entered}, nil
}
