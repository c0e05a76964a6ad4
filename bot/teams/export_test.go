package teams

import "sync"

// How long a team's details go unasked after Teams gave none (link.go).
const (
	TeamWontSayFor    = teamWontSayFor
	TeamUnansweredFor = teamUnansweredFor
)

// TrackFetches makes what m keeps of each user (their membership of the
// sales channel's team, their role in the tenant) fetch through one
// WaitGroup (cache.Cache.Go) and returns its Wait, which waits for every
// fetch started since: the refresh a request started once an answer was
// 5 minutes old (a test's clock makes it so) is waited for instead of
// slept on. Call it before the first IsSalesMember.
func (m *SalesMembers) TrackFetches() (wait func()) {
	var fetches sync.WaitGroup
	m.members.Go, m.roles.cache.Go = fetches.Go, fetches.Go
	return fetches.Wait
}

// OnTeamWait calls waiting as a link begins to wait for its team's
// details, a look-up it started or joined (teamAsks.waiting): a test
// orders its links by it, not by sleeping. Call it before the first link.
func (p *Platform) OnTeamWait(waiting func(team string)) { p.teamAsks.waiting = waiting }
