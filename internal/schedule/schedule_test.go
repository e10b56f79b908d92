package schedule_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/schedule"
	"github.com/wsbbot/wsbbot/internal/store"
)

func mustCron(t *testing.T, expr, tz string) schedule.Spec {
	t.Helper()
	s, err := schedule.Cron(expr, tz)
	if err != nil {
		t.Fatalf("Cron(%q, %q): %v", expr, tz, err)
	}
	return s
}

func TestCronRefusesWhatIsNotFiveFields(t *testing.T) {
	for _, tt := range []struct{ expr, tz, want string }{
		{"0 9 * *", "UTC", "has 4 fields; want 5"},
		{"0 0 9 * * 1", "UTC", "has 6 fields; want 5"},
		{"@weekly", "UTC", "has 1 fields"},
		{"60 9 * * 1", "UTC", "end of range (60) above maximum (59)"},
		{"0 9 * * funday", "UTC", "funday"},
		{"0 9 * * 1", "Asia/Tokio", `time zone "Asia/Tokio"`},
	} {
		_, err := schedule.Cron(tt.expr, tt.tz)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Cron(%q, %q) = %v, want an error containing %q", tt.expr, tt.tz, err, tt.want)
		}
	}
}

// Day-of-week 7 is Sunday, as in cron.
func TestCronSundaySeven(t *testing.T) {
	from := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // a Monday
	for _, expr := range []string{"0 9 * * 7", "0 9 * * 0", "0 9 * * sun", "0 9 * * 6-7"} {
		got := mustCron(t, expr, "UTC").Next(from)
		want := time.Date(2026, 12, 12, 9, 0, 0, 0, time.UTC) // Saturday, for 6-7
		if expr != "0 9 * * 6-7" {
			want = time.Date(2026, 12, 13, 9, 0, 0, 0, time.UTC)
		}
		if !got.Equal(want) {
			t.Errorf("Cron(%q).Next = %s, want %s", expr, got, want)
		}
	}
}

func TestCronInTimeZone(t *testing.T) {
	s := mustCron(t, "0 9 * * 1", "Asia/Tokyo")
	from := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) // a Sunday
	got := s.Next(from)
	want := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // Monday 09:00 JST
	if !got.Equal(want) {
		t.Fatalf("Next = %s, want %s", got.UTC(), want)
	}
}

// Daylight saving: a time that does not exist on the spring-forward day is
// skipped; a time repeated on the fall-back day is due once.
func TestCronDaylightSaving(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	s := mustCron(t, "30 2 * * *", "America/New_York")
	// 2026-03-08: clocks jump from 02:00 to 03:00.
	got := s.Next(time.Date(2026, 3, 7, 12, 0, 0, 0, ny))
	if got.In(ny).Day() == 8 && got.In(ny).Hour() == 2 {
		t.Fatalf("Next = %s: 02:30 does not exist on 2026-03-08", got.In(ny))
	}
	s = mustCron(t, "30 1 * * *", "America/New_York")
	// 2026-11-01: 01:30 happens twice.
	first := s.Next(time.Date(2026, 11, 1, 0, 0, 0, 0, ny))
	second := s.Next(first)
	if first.In(ny).Day() != 1 || second.In(ny).Day() != 2 {
		t.Fatalf("due %s then %s: want once on Nov 1, then Nov 2", first.In(ny), second.In(ny))
	}
}

// run is a job that reports each fire on a channel.
func recorder(id string, spec schedule.Spec) (schedule.Job, chan schedule.Fire) {
	ch := make(chan schedule.Fire, 16)
	return schedule.Job{ID: id, Spec: spec, Run: func(_ context.Context, f schedule.Fire) { ch <- f }}, ch
}

func drain(ch chan schedule.Fire) []schedule.Fire {
	var out []schedule.Fire
	for {
		select {
		case f := <-ch:
			out = append(out, f)
		default:
			return out
		}
	}
}

func TestTickDueAtItsTimeOnceNotTwice(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 6, 23, 50, 0, 0, time.UTC)
	clock := schedule.NewManualClock(start)
	st := store.NewMemory(nil)
	loop, err := schedule.NewLoop(schedule.Options{Store: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	job, fires := recorder("weekly", mustCron(t, "0 9 * * 1", "Asia/Tokyo")) // 00:00 UTC Monday
	next, err := loop.Tick(ctx, []schedule.Job{job})
	if err != nil {
		t.Fatal(err)
	}
	loop.Wait()
	if got := drain(fires); len(got) != 0 {
		t.Fatalf("fired before its time: %+v", got)
	}
	if want := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next = %s, want %s", next, want)
	}
	clock.Set(next)
	for range 3 {
		if _, err := loop.Tick(ctx, []schedule.Job{job}); err != nil {
			t.Fatal(err)
		}
		loop.Wait()
	}
	got := drain(fires)
	if len(got) != 1 || !got[0].Due.Equal(next) || got[0].Late != 0 || got[0].LateNote() != "" {
		t.Fatalf("fires = %+v, want one on time at %s", got, next)
	}
	// A second loop on the same record (another process) does not fire it.
	other, _ := schedule.NewLoop(schedule.Options{Store: st, Clock: clock})
	if _, err := other.Tick(ctx, []schedule.Job{job}); err != nil {
		t.Fatal(err)
	}
	other.Wait()
	if got := drain(fires); len(got) != 0 {
		t.Fatalf("second loop fired again: %+v", got)
	}
}

// A due time missed while wsbbot was down runs once at start, late; the
// record of the reopened file is what remembers.
func TestMissedAfterDowntimeRunsOnceLate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	clock := schedule.NewManualClock(time.Date(2026, 12, 7, 8, 59, 0, 0, time.UTC))
	st, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	job, fires := recorder("hourly", mustCron(t, "0 * * * *", "UTC"))
	loop, _ := schedule.NewLoop(schedule.Options{Store: st, Clock: clock})
	if _, err := loop.Tick(ctx, []schedule.Job{job}); err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	if _, err := loop.Tick(ctx, []schedule.Job{job}); err != nil {
		t.Fatal(err)
	}
	loop.Wait()
	if got := drain(fires); len(got) != 1 {
		t.Fatalf("fires at 09:00 = %+v", got)
	}
	st.Close()

	// Down from 09:05 until 12:10: 10:00, 11:00 and 12:00 were missed.
	clock.Set(time.Date(2026, 12, 7, 12, 10, 0, 0, time.UTC))
	st, err = store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	loop, _ = schedule.NewLoop(schedule.Options{Store: st, Clock: clock})
	for range 2 {
		if _, err := loop.Tick(ctx, []schedule.Job{job}); err != nil {
			t.Fatal(err)
		}
		loop.Wait()
	}
	got := drain(fires)
	if len(got) != 1 {
		t.Fatalf("fires after downtime = %+v, want exactly one", got)
	}
	f := got[0]
	if !f.Due.Equal(time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)) || f.Missed != 2 || f.Late != 10*time.Minute {
		t.Fatalf("fire = %+v, want due 12:00, 2 missed, late 10m", f)
	}
	if f.LateNote() != "late by 10m (2 earlier run(s) skipped)" {
		t.Fatalf("LateNote = %q", f.LateNote())
	}
}

// A new schedule does not run for the past: its first sight is a baseline.
func TestNewScheduleHasNoPast(t *testing.T) {
	ctx := context.Background()
	clock := schedule.NewManualClock(time.Date(2026, 12, 7, 12, 10, 0, 0, time.UTC))
	loop, _ := schedule.NewLoop(schedule.Options{Store: store.NewMemory(nil), Clock: clock})
	job, fires := recorder("daily", mustCron(t, "0 9 * * *", "UTC"))
	if _, err := loop.Tick(ctx, []schedule.Job{job}); err != nil {
		t.Fatal(err)
	}
	loop.Wait()
	if got := drain(fires); len(got) != 0 {
		t.Fatalf("a new schedule fired for the past: %+v", got)
	}
}

// A run slower than the period is not overlapped; the due times it
// overran become one late run after it.
func TestSlowRunCollapses(t *testing.T) {
	ctx := context.Background()
	clock := schedule.NewManualClock(time.Date(2026, 12, 7, 8, 59, 30, 0, time.UTC))
	loop, _ := schedule.NewLoop(schedule.Options{Store: store.NewMemory(nil), Clock: clock})
	release := make(chan struct{})
	var mu sync.Mutex
	var got []schedule.Fire
	job := schedule.Job{ID: "minutely", Spec: mustCron(t, "* * * * *", "UTC"), Run: func(_ context.Context, f schedule.Fire) {
		mu.Lock()
		got = append(got, f)
		n := len(got)
		mu.Unlock()
		if n == 1 {
			<-release
		}
	}}
	jobs := []schedule.Job{job}
	_, _ = loop.Tick(ctx, jobs)
	clock.Set(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	_, _ = loop.Tick(ctx, jobs) // starts the slow run
	for _, m := range []int{1, 2, 3} {
		clock.Set(time.Date(2026, 12, 7, 9, m, 0, 0, time.UTC))
		if next, err := loop.Tick(ctx, jobs); err != nil || !next.IsZero() {
			t.Fatalf("tick while running: next %v err %v", next, err)
		}
	}
	close(release)
	loop.Wait()
	clock.Set(time.Date(2026, 12, 7, 9, 3, 30, 0, time.UTC))
	_, _ = loop.Tick(ctx, jobs)
	loop.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[1].Missed != 2 || !got[1].Due.Equal(time.Date(2026, 12, 7, 9, 3, 0, 0, time.UTC)) {
		t.Fatalf("fires = %+v, want 09:00 then one for 09:03 with 2 skipped", got)
	}
}

// Run sleeps on the clock until the next due time and fires then.
func TestRunSleepsUntilDue(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	clock := schedule.NewManualClock(time.Date(2026, 12, 7, 8, 59, 0, 0, time.UTC))
	loop, _ := schedule.NewLoop(schedule.Options{Store: store.NewMemory(nil), Clock: clock})
	every, err := schedule.Every(15 * time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	job, fires := recorder("watch", every)
	done := make(chan error)
	go func() { done <- loop.Run(ctx, []schedule.Job{job}) }()
	<-clock.Sleeping()
	clock.Set(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	f := <-fires
	if !f.Due.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)) || f.Late != 0 {
		t.Fatalf("fire = %+v", f)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestFormatLate(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2*time.Hour + 10*time.Minute + 12*time.Second: "2h10m",
		45 * time.Second: "45s",
		3 * time.Minute:  "3m",
		26 * time.Hour:   "26h0m",
	} {
		if got := schedule.FormatLate(d); got != want {
			t.Errorf("FormatLate(%s) = %q, want %q", d, got, want)
		}
	}
}

func FuzzCron(f *testing.F) {
	for _, s := range []string{"0 9 * * 1", "*/15 * * * *", "0 0-23/2 1,15 * mon-fri", "30 2 * JAN,jul SUN", "0 9 * * 7", "@weekly", "60 * * * *"} {
		f.Add(s)
	}
	from := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := schedule.Cron(expr, "Asia/Tokyo")
		if err != nil {
			return
		}
		if n := s.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("Cron(%q).Next(%s) = %s, not after", expr, from, n)
		}
	})
}
