package storage

import (
	"context"
	"fmt"

	"github.com/handoff/handoff"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// memberChangesKept is how many of a member list's last changes keep the
// entry they changed (member_changes): a replica that last read the
// list's count more changes ago than that, or across a change of the
// whole list, drops everything it cached of it (MemberChanges).
const memberChangesKept = 1000

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

// memberChangeRow names the entry (Key: a Slack user's id, a Teams user's
// Bot Framework id, up to 300 characters as in teams_users) that change
// Gen of the member list Name changed, so that the other replicas drop
// that entry alone. A change of the whole list has no row.
type memberChangeRow struct {
	Name string `gorm:"primaryKey;size:100"`
	Gen  int64  `gorm:"primaryKey;autoIncrement:false"`
	Key  string `gorm:"size:300;not null"`
}

func (memberChangeRow) TableName() string { return "member_changes" }

// StampMembers records one more change of the member list name, of its
// entry key alone (a user's profile), or of the whole list when key is
// "", and returns its count of changes since the first. It keeps the
// entries of the last memberChangesKept changes only. It returns a
// wrapped error when the write fails, EINVALID for a key longer than
// handoff.MaxChatIDLen.
func (s *Store) StampMembers(ctx context.Context, name, key string) (int64, error) {
	if err := checkLen("member key", key, handoff.MaxChatIDLen); err != nil {
		return 0, err
	}
	var gen int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
			DoUpdates: clause.Assignments(map[string]any{"gen": gorm.Expr("member_stamps.gen + 1")})}).
			Create(&memberStampRow{Name: name, Gen: 1}).Error
		if err != nil {
			return err
		}
		if err := tx.Model(&memberStampRow{}).Select("gen").Where("name = ?", name).Scan(&gen).Error; err != nil {
			return err
		}
		if key == "" {
			return nil
		}
		if err := tx.Create(&memberChangeRow{Name: name, Gen: gen, Key: key}).Error; err != nil {
			return err
		}
		return tx.Where("name = ? AND gen <= ?", name, gen-memberChangesKept).Delete(&memberChangeRow{}).Error
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

// MemberChanges returns the entries that the changes of the member list
// name after its count after, up to upTo, changed, with complete true
// when each of them named its entry and is still kept (none when upTo is
// after). complete is false when one changed the whole list or is no
// longer kept (memberChangesKept), or when upTo is below after: then the
// reader drops all it cached of the list.
// It returns a wrapped error when the read fails.
func (s *Store) MemberChanges(ctx context.Context, name string, after, upTo int64) (keys []string, complete bool, err error) {
	switch {
	case upTo == after:
		return nil, true, nil
	case upTo < after || upTo-after > memberChangesKept:
		return nil, false, nil
	}
	err = s.db.WithContext(ctx).Model(&memberChangeRow{}).Where("name = ? AND gen > ? AND gen <= ?", name, after, upTo).
		Order("gen").Pluck("key", &keys).Error
	if err != nil {
		return nil, false, fmt.Errorf("storage: changes of members %s: %w", name, err)
	}
	return keys, int64(len(keys)) == upTo-after, nil
}
