package storage

// SetStageTimesBatch makes BackfillStageTimes date size lead ids a batch
// (stageTimesBatch when 0) and call after, when not nil, after each batch's
// commit with the leads dated so far: a test stops the backfill, or writes
// a lead, between two batches. Set it before BackfillStageTimes runs.
func (s *Store) SetStageTimesBatch(size int64, after func(dated int64)) {
	s.stageTimesBatch, s.afterStageTimesBatch = size, after
}

// StageTimesBatch is the batch size BackfillStageTimes uses by default.
const StageTimesBatch = stageTimesBatch
