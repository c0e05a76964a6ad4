package teams

import "context"

// RefreshMember waits for the refresh of what m keeps of userID's
// membership of the sales channel's team that a request started once the
// answer was 5 minutes old (cache.Cache.Get), or makes one: a test's
// clock starts it, and this waits for it instead of sleeping.
func (m *SalesMembers) RefreshMember(ctx context.Context, userID string) error {
	_, err := m.members.Refresh(ctx, userID)
	return err
}
