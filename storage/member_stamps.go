package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// memberStampRow counts the changes of a cached member list (the sales
// channel's members of one platform, Slack's managers' user group, Slack
// users' profiles) that a platform's event announced
// to one replica: the others read the count and drop what they cached
// when it moved (cache.Shared).
type memberStampRow struct {
	Name string `gorm:"primaryKey;size:100"`
	Gen  int64  `gorm:"not null"`
}

func (memberStampRow) TableName() string { return "member_stamps" }

// StampMembers records one more change of the member list name and
// returns its count of changes since the first. It returns a wrapped
// error when the write fails.
func (s *Store) StampMembers(ctx context.Context, name string) (int64, error) {
	var gen int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
			DoUpdates: clause.Assignments(map[string]any{"gen": gorm.Expr("member_stamps.gen + 1")})}).
			Create(&memberStampRow{Name: name, Gen: 1}).Error
		if err != nil {
			return err
		}
		return tx.Model(&memberStampRow{}).Select("gen").Where("name = ?", name).Scan(&gen).Error
	})
	if err != nil {
		return 0, fmt.Errorf("storage: stamp members %s: %w", name, err)
	}
	return gen, nil
}

// MembersStamp returns the count of changes of the member list name
// (StampMembers), 0 when none was recorded. It returns a wrapped error
// when the read fails.
func (s *Store) MembersStamp(ctx context.Context, name string) (int64, error) {
	var gens []int64
	if err := s.db.WithContext(ctx).Model(&memberStampRow{}).Where("name = ?", name).Pluck("gen", &gens).Error; err != nil {
		return 0, fmt.Errorf("storage: members stamp %s: %w", name, err)
	}
	if len(gens) == 0 {
		return 0, nil
	}
	return gens[0], nil
}
