package oncall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/fanout"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// WatchScript is the backup watch's one read-only command per server: the
// last backup result (Get-WBSummary) and the newest Microsoft-Windows-Backup
// success and failure events (ids 4 and 5), as one JSON object. It is held
// to the runbooks' read-only rule before it is sent.
const WatchScript = `$ErrorActionPreference = 'SilentlyContinue'
$s = Get-WBSummary | Select-Object LastBackupTime, LastBackupResultHR, LastBackupResultDetailedHR, DetailedMessage, LastSuccessfulBackupTime, LastBackupTarget
$ev = @(Get-WinEvent -FilterHashtable @{LogName='Microsoft-Windows-Backup'; Id=4,5} -MaxEvents 50 | Select-Object RecordId, Id, @{n='Time';e={$_.TimeCreated}}, Message, @{n='Values';e={@($_.Properties | ForEach-Object { $_.Value })}})
@{ summary = $s; events = $ev } | ConvertTo-Json -Depth 4 -Compress
`

// Backup event ids of the Microsoft-Windows-Backup log the watch reads.
const (
	eventBackupSucceeded = 4
	eventBackupFailed    = 5
)

// WatchAlertKind says whether an alert reports a failure or its recovery.
type WatchAlertKind string

// The kinds of watch alert.
const (
	WatchFailure  WatchAlertKind = "failure"
	WatchRecovery WatchAlertKind = "recovery"
)

// WatchAlert is something the watch found that nobody was told yet: a
// backup that failed, or the first success after one.
type WatchAlert struct {
	// ID names the failure; its recovery carries the same id.
	ID     string
	Kind   WatchAlertKind
	Server string
	// Time is when the backup ended (failed, or for a recovery succeeded).
	Time time.Time
	// HR and DetailedHR are the failure's result codes; Code is the one
	// to explain (the detailed code when there is one) as "0x" + 8 hex.
	HR, DetailedHR uint32
	Code           string
	Message        string
	// Where is, for a recovery, where the failure was posted (the
	// adapter's note from NoteWatchPosted).
	Where map[string]string
	// FailedAt is, for a recovery, when the failure was.
	FailedAt time.Time
}

// WatchReport is one round of the watch.
type WatchReport struct {
	// Alerts are the new failures and recoveries, each returned exactly
	// once across rounds, restarts and concurrent watchers.
	Alerts []WatchAlert
	// Looked counts the servers that answered; Errors the others.
	Looked int
	Errors []WatchError
}

// WatchError is a server the watch could not read.
type WatchError struct {
	Server string
	Err    error
}

// Record payloads of the watch.
type (
	watchLook struct {
		// Cursor is the newest event record id seen on the server.
		Cursor     int64     `json:"cursor"`
		LastBackup time.Time `json:"last_backup,omitzero"`
		HR         uint32    `json:"hr"`
		DetailedHR uint32    `json:"detailed_hr"`
	}
	watchAlertRec struct {
		Alert      string            `json:"alert"`
		State      string            `json:"state"` // failed, posted, recovered
		Time       time.Time         `json:"time"`
		HR         uint32            `json:"hr,omitempty"`
		DetailedHR uint32            `json:"detailed_hr,omitempty"`
		Code       string            `json:"code,omitempty"`
		Message    string            `json:"message,omitempty"`
		Where      map[string]string `json:"where,omitempty"`
	}
)

const (
	alertFailed    = "failed"
	alertPosted    = "posted"
	alertRecovered = "recovered"
)

// backupEvent is one event the script returned.
type backupEvent struct {
	RecordID int64
	ID       int
	Time     time.Time
	Message  string
	Values   []any
}

// backupState is what WatchScript found on one server.
type backupState struct {
	LastBackup     time.Time
	HR, DetailedHR uint32
	Message        string
	Events         []backupEvent // oldest first
}

// parseWatch reads WatchScript's stdout.
func parseWatch(stdout string) (backupState, error) {
	i := strings.IndexByte(stdout, '{')
	if i < 0 {
		return backupState{}, fmt.Errorf("no JSON object in the output (%q)", firstChars(strings.TrimSpace(stdout), 200))
	}
	var raw struct {
		Summary *struct {
			LastBackupTime             *checklists.PSDate `json:"LastBackupTime"`
			LastBackupResultHR         any                `json:"LastBackupResultHR"`
			LastBackupResultDetailedHR any                `json:"LastBackupResultDetailedHR"`
			DetailedMessage            string             `json:"DetailedMessage"`
		} `json:"summary"`
		Events checklists.PSList[struct {
			RecordID int64                  `json:"RecordId"`
			ID       int                    `json:"Id"`
			Time     checklists.PSDate      `json:"Time"`
			Message  string                 `json:"Message"`
			Values   checklists.PSList[any] `json:"Values"`
		}] `json:"events"`
	}
	if err := json.Unmarshal([]byte(stdout[i:]), &raw); err != nil {
		return backupState{}, fmt.Errorf("read the watch's JSON: %w", err)
	}
	var st backupState
	if s := raw.Summary; s != nil {
		if s.LastBackupTime != nil {
			st.LastBackup = s.LastBackupTime.Time
		}
		st.HR, _ = resultCode(s.LastBackupResultHR)
		st.DetailedHR, _ = resultCode(s.LastBackupResultDetailedHR)
		st.Message = s.DetailedMessage
	}
	for _, e := range raw.Events {
		st.Events = append(st.Events, backupEvent{RecordID: e.RecordID, ID: e.ID, Time: e.Time.Time, Message: e.Message, Values: e.Values})
	}
	slices.SortFunc(st.Events, func(a, b backupEvent) int { return int(a.RecordID - b.RecordID) })
	return st, nil
}

// resultCode reads an HRESULT as PowerShell serialises it: a number
// (unsigned or signed) or a string in hex or decimal.
func resultCode(v any) (uint32, bool) {
	switch x := v.(type) {
	case float64:
		return uint32(int64(x)), true
	case string:
		s := strings.TrimSpace(x)
		if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
			n, err := strconv.ParseUint(h, 16, 32)
			return uint32(n), err == nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return uint32(n), err == nil
	}
	return 0, false
}

func hexCode(c uint32) string { return fmt.Sprintf("0x%08X", c) }

func firstChars(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// watchServer is one server's history in the record.
type watchServer struct {
	looked bool
	cursor int64
	open   *watchAlertRec // the failure not yet recovered
}

// lastLooks is how many of a server's newest looks watchHistory reads:
// the cursor only grows, but two processes watching at once may record
// their looks out of order.
const lastLooks = 4

// watchHistory reads the watch's record of server: its newest looks (not
// every look since the server was first watched, one per backup, which a
// watch of a fleet every 15 minutes would read again and again, for
// years) and its alerts (one per failure and recovery).
func (s *Service) watchHistory(ctx context.Context, server string) (watchServer, error) {
	looks, err := s.st.Events(ctx, store.Filter{Target: server, Kinds: []store.Kind{store.KindWatchLook}, Last: lastLooks})
	if err != nil {
		return watchServer{}, err
	}
	alertEvs, err := s.st.Events(ctx, store.Filter{Target: server, Kinds: []store.Kind{store.KindWatchAlert}})
	if err != nil {
		return watchServer{}, err
	}
	var w watchServer
	alerts := map[string]*watchAlertRec{}
	for _, e := range append(looks, alertEvs...) {
		switch e.Kind {
		case store.KindWatchLook:
			p, err := store.Decode[watchLook](e)
			if err != nil {
				return watchServer{}, err
			}
			w.looked, w.cursor = true, max(w.cursor, p.Cursor)
		case store.KindWatchAlert:
			p, err := store.Decode[watchAlertRec](e)
			if err != nil {
				return watchServer{}, err
			}
			switch p.State {
			case alertFailed:
				a := p
				alerts[p.Alert] = &a
				w.open = &a
			case alertPosted:
				if a := alerts[p.Alert]; a != nil {
					a.Where = p.Where
				}
			case alertRecovered:
				if w.open != nil && w.open.Alert == p.Alert {
					w.open = nil
				}
			}
		}
	}
	return w, nil
}

// WatchBackups reads every server's last backup result and backup events
// (one read-only command each, over the fan-out), records what it saw, and
// returns the failures and recoveries nobody was told about yet. A server
// looked at for the first time reports its latest backup only; after that,
// every event since the last look counts, so a failure followed by a
// success between two looks gives both. Each failure and each recovery is
// claimed in the record and returned once.
func (s *Service) WatchBackups(ctx context.Context, actor string) (*WatchReport, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	if err := runbooks.CheckReadOnly(runbooks.ShellPowerShell, WatchScript); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	type result struct {
		server string
		state  backupState
		err    error
	}
	names := make([]string, len(s.inv))
	for i, srv := range s.inv {
		names[i] = srv.Name
	}
	rep := &WatchReport{}
	results := fanout.Run(ctx, names, s.auditConc, func(ctx context.Context, name string) result {
		st, err := s.readBackups(ctx, name)
		return result{server: name, state: st, err: err}
	}, func(name string, err error) result { return result{server: name, err: err} })
	var all []result
	for r := range results {
		all = append(all, r)
	}
	slices.SortStableFunc(all, func(a, b result) int { return slices.Index(names, a.server) - slices.Index(names, b.server) })
	var errs []error
	for _, r := range all {
		if r.err != nil {
			s.lg.Warn("watch could not read backups", "target", r.server, "err", r.err)
			rep.Errors = append(rep.Errors, WatchError{Server: r.server, Err: r.err})
			continue
		}
		rep.Looked++
		alerts, err := s.judgeBackups(ctx, r.server, r.state, actor)
		if err != nil {
			errs = append(errs, fmt.Errorf("watch %s: %w", r.server, err))
		}
		rep.Alerts = append(rep.Alerts, alerts...)
	}
	return rep, errors.Join(errs...)
}

// readBackups runs WatchScript on one server.
func (s *Service) readBackups(ctx context.Context, server string) (st backupState, err error) {
	ctx, cancel := context.WithTimeout(ctx, checklists.DefaultCollectTimeout)
	defer cancel()
	sess, err := s.exec.Open(ctx, server)
	if err != nil {
		return backupState{}, fmt.Errorf("open %s: %w", server, err)
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", server, cerr)
		}
	}()
	out, err := sess.Run(ctx, runbooks.Command{Shell: runbooks.ShellPowerShell, Script: WatchScript, Name: "backup-watch"})
	if err != nil {
		return backupState{}, fmt.Errorf("read backups on %s: %w", server, err)
	}
	st, err = parseWatch(out.Stdout)
	if err != nil {
		return backupState{}, fmt.Errorf("read backups on %s (exit code %d): %w", server, out.ExitCode, err)
	}
	return st, nil
}

// judgeBackups turns what one server showed into alerts, against the
// record, and records the look.
func (s *Service) judgeBackups(ctx context.Context, server string, st backupState, actor string) ([]WatchAlert, error) {
	hist, err := s.watchHistory(ctx, server)
	if err != nil {
		return nil, err
	}
	// The events to judge: since the last look, or on the first look the
	// latest outcome only.
	var fresh []backupEvent
	cursor := hist.cursor
	for _, e := range st.Events {
		cursor = max(cursor, e.RecordID)
		if hist.looked && e.RecordID > hist.cursor {
			fresh = append(fresh, e)
		}
	}
	if !hist.looked && len(st.Events) > 0 {
		fresh = st.Events[len(st.Events)-1:]
	}
	if len(st.Events) == 0 {
		// No event log to read: the summary alone says how the last
		// backup ended.
		if !st.LastBackup.IsZero() {
			id := eventBackupSucceeded
			if st.HR != 0 {
				id = eventBackupFailed
			}
			fresh = []backupEvent{{ID: id, Time: st.LastBackup, Message: st.Message}}
		}
	}
	var out []WatchAlert
	open := hist.open
	for _, e := range fresh {
		switch {
		case e.ID == eventBackupFailed && open == nil:
			a := s.failureOf(server, e, st)
			rec := watchAlertRec{Alert: a.ID, State: alertFailed, Time: a.Time.UTC(), HR: a.HR, DetailedHR: a.DetailedHR, Code: a.Code, Message: a.Message}
			won, err := s.claimWatch(ctx, server, actor, rec, "watch:"+a.ID+":"+alertFailed)
			if err != nil {
				return out, err
			}
			open = &rec
			if won {
				s.lg.Info("watch found a failed backup", "target", server, "alert", a.ID, "code", a.Code)
				out = append(out, a)
			}
		case e.ID == eventBackupSucceeded && open != nil:
			rec := watchAlertRec{Alert: open.Alert, State: alertRecovered, Time: e.Time.UTC()}
			won, err := s.claimWatch(ctx, server, actor, rec, "watch:"+open.Alert+":"+alertRecovered)
			if err != nil {
				return out, err
			}
			if won {
				s.lg.Info("watch found the backup recovered", "target", server, "alert", open.Alert)
				out = append(out, WatchAlert{ID: open.Alert, Kind: WatchRecovery, Server: server, Time: e.Time, HR: open.HR, DetailedHR: open.DetailedHR,
					Code: open.Code, Where: open.Where, FailedAt: open.Time})
			}
			open = nil
		}
	}
	if !hist.looked || cursor != hist.cursor {
		ev, err := store.NewEvent(store.KindWatchLook, "", server, actor, watchLook{Cursor: cursor, LastBackup: st.LastBackup.UTC(), HR: st.HR, DetailedHR: st.DetailedHR})
		if err == nil {
			_, err = s.st.Append(ctx, ev)
		}
		if err != nil {
			return out, fmt.Errorf("record look: %w", err)
		}
	}
	return out, nil
}

// failureOf is the alert of a failed-backup event: its codes from the
// event, else from the summary.
func (s *Service) failureOf(server string, e backupEvent, st backupState) WatchAlert {
	a := WatchAlert{Kind: WatchFailure, Server: server, Time: e.Time, Message: e.Message}
	if len(e.Values) >= 3 {
		a.HR, _ = resultCode(e.Values[1])
		a.DetailedHR, _ = resultCode(e.Values[2])
	}
	if a.HR == 0 {
		a.HR, a.DetailedHR = st.HR, st.DetailedHR
	}
	if st.Message != "" && (a.Message == "" || e.RecordID == 0) {
		a.Message = st.Message
	}
	a.Code = hexCode(a.HR)
	if a.DetailedHR != 0 {
		a.Code = hexCode(a.DetailedHR)
	}
	id := strconv.FormatInt(e.RecordID, 10)
	if e.RecordID == 0 {
		id = "t" + strconv.FormatInt(e.Time.Unix(), 10)
	}
	a.ID = "wa-" + strings.ToLower(server) + "-" + id
	return a
}

// claimWatch records one step of an alert under key; true when this call's
// record is the one kept.
func (s *Service) claimWatch(ctx context.Context, server, actor string, rec watchAlertRec, key string) (bool, error) {
	ev, err := store.NewEvent(store.KindWatchAlert, "", server, actor, rec)
	if err != nil {
		return false, err
	}
	ev.Key = key
	_, won, err := store.Claim(ctx, s.st, ev)
	if err != nil {
		return false, fmt.Errorf("record alert %s %s: %w", rec.Alert, rec.State, err)
	}
	return won, nil
}

// NoteWatchPosted records where a failure alert was posted, so that its
// recovery, found later (after a restart too), answers in the same place.
func (s *Service) NoteWatchPosted(ctx context.Context, a WatchAlert, where map[string]string) error {
	if err := s.ready(false); err != nil {
		return err
	}
	ev, err := store.NewEvent(store.KindWatchAlert, "", a.Server, "wsbbot", watchAlertRec{Alert: a.ID, State: alertPosted, Time: a.Time.UTC(), Where: where})
	if err != nil {
		return err
	}
	ev.Key = "watch:" + a.ID + ":" + alertPosted
	if _, err := s.st.Append(ctx, ev); err != nil {
		return fmt.Errorf("record where alert %s was posted: %w", a.ID, err)
	}
	return nil
}
