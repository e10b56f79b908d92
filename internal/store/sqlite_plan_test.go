package store

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// Each filter the product reads the log by is a search of the index of
// its most selective column, in sequence order without a sort, also in a
// record of schema 2 that opening upgraded: never a walk through the
// whole log (or through every event of a common kind) to find a few.
func TestSQLiteEventsQueryPlans(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	raw := func() *sql.DB {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	reopen := func() {
		t.Helper()
		s, err := OpenSQLite(path, Options{}) // creates or upgrades to the current schema
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	reopen()
	db := raw()
	for _, q := range []string{`DROP INDEX events_kind`, `DROP INDEX events_target_kind`, `CREATE INDEX events_target ON events (target, seq)`, `UPDATE meta SET value = '2' WHERE name = 'schema_version'`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	reopen()
	// A connection opened after the upgrade, as the store's are: one
	// opened before plans with the schema it read then.
	db = raw()
	defer db.Close()
	tests := []struct {
		name  string
		f     Filter
		index string
	}{
		{"everything", Filter{}, "sqlite_autoindex_events_1"},
		{"after a seq", Filter{AfterSeq: 7}, "sqlite_autoindex_events_1 (seq>?)"},
		{"a kind (every audit's summary)", Filter{Kinds: []Kind{KindAuditFinished}}, "events_kind (kind=?)"},
		{"a run", Filter{RunID: "r1"}, "events_run (run_id=?)"},
		{"a run's events of a kind", Filter{RunID: "r1", Kinds: []Kind{KindAuditFinding}}, "events_run (run_id=?)"},
		{"a target (sorted: no caller reads a target without kinds)", Filter{Target: "fs01"}, "events_target_kind (target=?)"},
		{"a target's runs since", Filter{Target: "fs01", Kinds: []Kind{KindRunStarted}, AfterSeq: 9}, "events_target_kind (target=? AND kind=?)"},
		{"a run on a target", Filter{RunID: "r1", Target: "fs01"}, "events_run (run_id=?)"},
		{"a target's events of a kind", Filter{Target: "fs01", Kinds: []Kind{KindWatchAlert}}, "events_target_kind (target=? AND kind=?)"},
		{"a target's last event of a kind", Filter{Target: "fs01", Kinds: []Kind{KindWatchLook}, Last: 1}, "events_target_kind (target=? AND kind=?)"},
		{"the last events of a kind", Filter{Kinds: []Kind{KindAuditFinished}, Last: 2}, "events_kind (kind=?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, args := eventsQuery(tc.f)
			rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			p := strings.Join(plan, "; ")
			// Last sorts its few rows back into seq order: the only sort
			// but for a target without kinds.
			sorts := strings.Count(p, "TEMP B-TREE")
			if tc.f.Last > 0 || tc.f.Target != "" && tc.f.RunID == "" && len(tc.f.Kinds) == 0 {
				sorts--
			}
			if !strings.Contains(p, "INDEX "+tc.index) || sorts != 0 || strings.Contains(p, "SCAN events") {
				t.Errorf("%s\nplan %q: want a search of %s in seq order", q, p, tc.index)
			}
		})
	}
}
