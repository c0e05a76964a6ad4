package storage

// MemberChangesKept is memberChangesKept, for tests.
const MemberChangesKept = memberChangesKept
