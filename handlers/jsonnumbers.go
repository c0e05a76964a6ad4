package handlers

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// problemOutOfRange is why a number beyond what a float64 holds is refused.
const problemOutOfRange = "number out of range"

// outOfRangeFields names, as jsonField does, every field of body that holds
// a number beyond what a float64 holds (1e400), which json.Decoder refuses
// without saying where; nil when there is none. Only a body the decoder
// refused is read again, so intake pays nothing for it.
func outOfRangeFields(body []byte) map[string]string {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	var bad map[string]string
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch v := v.(type) {
		case json.Number:
			if _, err := v.Float64(); err != nil {
				if bad == nil {
					bad = map[string]string{}
				}
				field, why := jsonField(path, false, problemOutOfRange)
				bad[field] = why
			}
		case map[string]any:
			for k, e := range v {
				walk(e, append(path[:len(path):len(path)], k))
			}
		case []any:
			for i, e := range v {
				walk(e, append(path[:len(path):len(path)], "["+strconv.Itoa(i)+"]"))
			}
		}
	}
	walk(v, nil)
	return bad
}
