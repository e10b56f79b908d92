package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteJSONMatchesEncoder: writeJSON prints exactly what an Encoder
// with SetIndent("", "  ") and no HTML escaping prints.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	type row struct {
		Path  string         `json:"path"`
		Note  string         `json:"note,omitempty"`
		Sizes []int          `json:"sizes"`
		Extra map[string]any `json:"extra"`
	}
	values := []any{
		nil, 0, "x", []string{}, map[string]int{},
		[]row{{Path: `C:\a<b>&c`, Sizes: []int{1, 2}, Extra: map[string]any{"z": []any{}, "a": map[string]any{"k": "\u2028 \"q\""}}}, {Path: "", Note: "日本語"}},
	}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeJSON(&got, v); err != nil {
			t.Fatalf("writeJSON(%v): %v", v, err)
		}
		if got.String() != want.String() {
			t.Errorf("writeJSON(%#v) =\n%s\nwant\n%s", v, got.String(), want.String())
		}
	}
	if err := writeJSON(&bytes.Buffer{}, func() {}); err == nil {
		t.Error("writeJSON of a func: no error")
	}
}
