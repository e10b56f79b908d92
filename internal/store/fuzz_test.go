package store

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzRecordRoundTrip checks that any event prepare accepts comes back
// from the bbolt record encoding byte for byte, so its hash still
// verifies after a restart, and that prepare is stable on its own output.
func FuzzRecordRoundTrip(f *testing.F) {
	f.Add(uint8(8), "", "fs01", "U1", "", `{"note":"<b>&</b>"}`, int64(0))
	f.Add(uint8(0), "r1", "fs01", "U1", "k", `{"runbook":"x","plan_hash":"p","params":{"a":"\u2028"}}`, int64(1700000000123456789))
	f.Add(uint8(10), "", "ＦＳ０１", "cli:佐藤", "Ev1", `{ "date" : "2026-03-01" }`, int64(-5))
	f.Add(uint8(2), "r1", "fs01", "wsbbot", "", `{"step":"a","status":"ok","output":"\ud800 \\ \"","exit_code":-1}`, int64(42))
	f.Fuzz(func(t *testing.T, kind uint8, runID, target, actor, key, data string, nanos int64) {
		kinds := Kinds()
		in := Event{Kind: kinds[int(kind)%len(kinds)], RunID: runID, Target: target, Actor: actor, Key: key, Data: json.RawMessage(data)}
		if nanos != 0 {
			in.Time = time.Unix(0, nanos)
		}
		e, err := prepare(in)
		if err != nil {
			return
		}
		again, err := prepare(e)
		if err != nil || !bytes.Equal(again.Data, e.Data) {
			t.Fatalf("prepare not stable: %q -> %q (%v)", e.Data, again.Data, err)
		}
		e.Seq, e.PrevHash = 7, "ab"
		if e.Time.IsZero() {
			e.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
		}
		e.Hash = e.ComputeHash()
		raw, err := encodeEvent(e)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		got, err := decodeEvent(raw)
		if err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
		if got.ComputeHash() != e.Hash || got.Hash != e.Hash || !bytes.Equal(got.Data, e.Data) ||
			!got.Time.Equal(e.Time) || got.Target != e.Target || got.Actor != e.Actor || got.Key != e.Key || got.RunID != e.RunID {
			t.Fatalf("round trip changed the event:\n in  %+v\n out %+v\n raw %s", e, got, raw)
		}
	})
}
