package lab

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

func cmdletGetWinEvent(e *execEnv, c *ps.Call) ([]any, error) {
	h, t := e.h, e.h.t
	logs := c.Strs("LogName")
	logs = append(logs, c.Strs("ProviderName")...)
	var ids []int64
	var levels []int64
	var start, end time.Time
	if hs, ok := c.Value("FilterHashtable").(*ps.Hash); ok {
		for _, k := range hs.Keys {
			v := hs.Vals[strings.ToLower(k)]
			switch strings.ToLower(k) {
			case "logname", "providername":
				for _, x := range ps.Enumerate(v) {
					logs = append(logs, ps.String(x))
				}
			case "id":
				for _, x := range ps.Enumerate(v) {
					if n, ok := ps.Number(x); ok {
						ids = append(ids, int64(n))
					}
				}
			case "level":
				for _, x := range ps.Enumerate(v) {
					if n, ok := ps.Number(x); ok {
						levels = append(levels, int64(n))
					}
				}
			case "starttime":
				start, _ = v.(time.Time)
			case "endtime":
				end, _ = v.(time.Time)
			}
		}
	}
	for _, l := range logs {
		if !strings.EqualFold(l, "Microsoft-Windows-Backup") && !strings.EqualFold(l, "Application") && !strings.EqualFold(l, "System") {
			return nil, c.Error(&ps.ErrorRecord{Message: fmt.Sprintf(t.psNoLog, l), Category: "ObjectNotFound", Target: l, TargetType: "String", Exception: "Exception", FQID: "NoMatchingLogsFound," + c.CommandClass()})
		}
	}
	backup := len(logs) == 0 || slices.ContainsFunc(logs, func(l string) bool { return strings.EqualFold(l, "Microsoft-Windows-Backup") })
	var out []any
	h.mu.Lock()
	if backup {
		max, hasMax := c.Num("MaxEvents")
		evs := slices.Clone(h.events)
		if !c.Flag("Oldest") {
			slices.Reverse(evs)
		}
		for _, ev := range evs {
			if len(ids) > 0 && !slices.Contains(ids, int64(ev.id)) {
				continue
			}
			if len(levels) > 0 && !slices.Contains(levels, int64(ev.level)) {
				continue
			}
			if !start.IsZero() && ev.when.Before(start) {
				continue
			}
			if !end.IsZero() && ev.when.After(end) {
				continue
			}
			if hasMax && int64(len(out)) >= max {
				break
			}
			out = append(out, h.eventObj(ev))
		}
	}
	h.mu.Unlock()
	if len(out) == 0 {
		return nil, c.Error(&ps.ErrorRecord{Message: t.psNoEvents, Category: "ObjectNotFound", Exception: "Exception", FQID: "NoMatchingEventsFound," + c.CommandClass()})
	}
	return out, nil
}
