package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/handoff/handoff"
	"gorm.io/gorm/clause"
)

// trafficRow is one day's website visits from one source. Date is the local
// date in the agreement's time zone, "2006-01-02", so a period's days are a
// plain string range.
type trafficRow struct {
	ID        int64  `gorm:"primaryKey"`
	Date      string `gorm:"size:10;not null;uniqueIndex:idx_traffic_date_source,priority:1"`
	Source    string `gorm:"size:500;not null;default:'';uniqueIndex:idx_traffic_date_source,priority:2"`
	Visits    int64  `gorm:"not null"`
	UpdatedMs int64  `gorm:"not null"`
}

func (trafficRow) TableName() string { return "traffic" }

// SaveTraffic records day's visits, replacing any count already stored for
// the same date and source, so repeating a report changes nothing. It
// returns a wrapped error when the write fails.
func (s *Store) SaveTraffic(ctx context.Context, day handoff.TrafficDay, now time.Time) error {
	row := trafficRow{Date: day.Date, Source: day.Source, Visits: day.Visits, UpdatedMs: ms(now)}
	err := s.write.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "date"}, {Name: "source"}},
		DoUpdates: clause.AssignmentColumns([]string{"visits", "updated_ms"}),
	}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("storage: save traffic %s %q: %w", day.Date, day.Source, err)
	}
	return nil
}

// visits sums the visits recorded for the local dates of period, from one
// source or ("" ) from all. It returns nil when no day of the period has a
// record, so that unknown traffic is not reported as zero.
func (s *Store) visits(ctx context.Context, period handoff.Period, source string) (*int64, error) {
	loc := period.Start.Location()
	from := period.Start.In(loc).Format(handoff.TrafficDateLayout)
	to := period.End.In(loc).Format(handoff.TrafficDateLayout)
	q := "SELECT COUNT(*) AS days, COALESCE(SUM(visits), 0) AS visits FROM traffic WHERE date >= ? AND date < ?"
	args := []any{from, to}
	if source != "" {
		q += " AND source = ?"
		args = append(args, source)
	}
	var row struct {
		Days, Visits int64
	}
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&row).Error; err != nil {
		return nil, fmt.Errorf("visits: %w", err)
	}
	if row.Days == 0 {
		return nil, nil
	}
	return &row.Visits, nil
}
