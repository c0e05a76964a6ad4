package storage

import (
	"reflect"
	"strings"
	"testing"
)

// TestMedianReads holds the walk from a rep's middle ranks to the delay
// buckets that hold them, including the error no database provokes: a
// count of accepts larger than their buckets hold (the rollup adds every
// accept to its count and its bucket alike).
func TestMedianReads(t *testing.T) {
	const rep = "slack:U1"
	for _, tc := range []struct {
		name    string
		rep     string
		buckets map[int64]int64
		n       int64
		want    []medianRead
		wantErr string
	}{
		{name: "one accept", buckets: map[int64]int64{3: 1}, n: 1,
			want: []medianRead{{rep: rep, bucket: 3, lo: 0, hi: 0}}},
		{name: "odd, the middle in the second bucket", buckets: map[int64]int64{0: 1, 1: 1, 5: 1}, n: 3,
			want: []medianRead{{rep: rep, bucket: 1, lo: 0, hi: 0}}},
		{name: "odd, buckets walked in order, not the map's", buckets: map[int64]int64{9: 1, 0: 1, 4: 1}, n: 3,
			want: []medianRead{{rep: rep, bucket: 4, lo: 0, hi: 0}}},
		{name: "odd, an offset within the bucket", buckets: map[int64]int64{1: 3, 4: 2}, n: 5,
			want: []medianRead{{rep: rep, bucket: 1, lo: 2, hi: 2}}},
		{name: "even, both middles in one bucket make one read", buckets: map[int64]int64{0: 1, 1: 2, 2: 1}, n: 4,
			want: []medianRead{{rep: rep, bucket: 1, lo: 0, hi: 1}}},
		{name: "even, the middles in two buckets", buckets: map[int64]int64{0: 1, 2: 1}, n: 2,
			want: []medianRead{{rep: rep, bucket: 0, lo: 0, hi: 0}, {rep: rep, bucket: 2, lo: 0, hi: 0}}},
		{name: "an empty bucket is passed over", buckets: map[int64]int64{0: 0, 1: 1}, n: 1,
			want: []medianRead{{rep: rep, bucket: 1, lo: 0, hi: 0}}},
		{name: "more accepts than the buckets hold", buckets: map[int64]int64{0: 1}, n: 3,
			wantErr: "storage: routing stats: median of slack:U1: rank 1 of 3 not in the buckets"},
		{name: "no buckets", buckets: map[int64]int64{}, n: 2,
			wantErr: "rank 0 of 2 not in the buckets"},
		{name: "the error names a rep by email without the address", rep: "teams:ann@acme.dk", buckets: map[int64]int64{2: 1}, n: 4,
			wantErr: "median of teams:(email): rank 1 of 4 not in the buckets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rep
			if tc.rep != "" {
				r = tc.rep
			}
			got, err := medianReads(r, tc.buckets, tc.n)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("medianReads(%v, %d) = %+v, %v; want an error with %q", tc.buckets, tc.n, got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "ann@acme.dk") {
					t.Fatalf("error names the rep's address: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("medianReads(%v, %d): %v", tc.buckets, tc.n, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("medianReads(%v, %d) = %+v, want %+v", tc.buckets, tc.n, got, tc.want)
			}
		})
	}
}
