package ps

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzPrettyJSON checks that the 5.1 re-indentation keeps the JSON.
func FuzzPrettyJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"b":[1,{"c":"x\"y"}],"d":{}}`, `[[],{},"\\"]`, `"s"`, `{"k":"v:,{}[]"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(in)) != nil {
			return
		}
		pretty := prettyJSON(compact.String())
		var again bytes.Buffer
		if err := json.Compact(&again, []byte(pretty)); err != nil {
			t.Fatalf("pretty output is not JSON: %v\n%s", err, pretty)
		}
		if again.String() != compact.String() {
			t.Fatalf("JSON changed:\n%s\n%s", compact.String(), again.String())
		}
	})
}
