package lab

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var errJobRunning = errors.New("a backup or recovery operation is already running")

// backupOutcomeLocked decides how a backup started now would end, checking
// what WSB checks, in its order: the targets, the shadow copy space on every
// source volume, then the VSS writers.
func (h *Host) backupOutcomeLocked() (hr, detailedHR uint32) {
	for _, tg := range h.policy.targets {
		switch tg.kind {
		case "Network":
			s := h.shareByPath(tg.path)
			if s == nil || !h.nas.reachable {
				return hrShare, hrNetworkPath
			}
			if !s.writable {
				return hrShare, hrAccessDenied
			}
		default:
			v := h.findVolume(tg.vol)
			if v == nil || !h.diskPresent(v.disk) {
				return hrTargetMissing, hrNoSuchDevice
			}
		}
	}
	if len(h.policy.targets) == 0 {
		return hrTargetMissing, hrNoSuchDevice
	}
	for _, v := range h.sourceVolumes() {
		need := 320 * mib
		if v.size < 500*mib {
			need = 50 * mib
		}
		if v.free() < need {
			return hrNoSpace, hrInsufficientStore
		}
	}
	for _, w := range h.writers {
		if !h.writerListed(w) || w.state < 6 {
			continue
		}
		if w.lastErr == errRetryable {
			return hrWriterWrapper, hrWriterRetryable
		}
		return hrWriterWrapper, hrWriterNonRetryable
	}
	return 0, 0
}

// shareByPath finds a share by its UNC path (`\\nas01\backup`, any case,
// with or without a trailing backslash, by short or full server name).
func (h *Host) shareByPath(p string) *share {
	server, name, ok := splitUNC(p)
	if !ok {
		return nil
	}
	if !strings.EqualFold(server, h.nas.name) && !strings.EqualFold(server, h.nas.fqdn) && server != h.nas.ip {
		return nil
	}
	for _, s := range h.shares {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

// splitUNC splits `\\server\share\rest` into server and share.
func splitUNC(p string) (server, name string, ok bool) {
	p = strings.ReplaceAll(p, "/", `\`)
	if !strings.HasPrefix(p, `\\`) {
		return "", "", false
	}
	parts := strings.Split(strings.TrimPrefix(p, `\\`), `\`)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// startJobLocked starts a backup job of the scheduled policy.
func (h *Host) startJobLocked() (*job, error) {
	if h.job != nil && !h.job.finished {
		return nil, errJobRunning
	}
	j := &job{start: h.now(), duration: h.backupDuration, done: make(chan struct{})}
	for _, v := range h.sourceVolumes() {
		j.volumes = append(j.volumes, h.friendlyName(v))
	}
	if len(h.policy.targets) > 0 {
		j.target = h.policy.targets[0].label
		if v := h.findVolume(h.policy.targets[0].vol); v != nil && v.letter != 0 {
			j.target = string(v.letter) + ":"
		}
	}
	h.job = j
	if s := h.serviceByName("wbengine"); s != nil {
		s.running = true
	}
	h.addEventLocked(EventBackupStarted, 4, j.start, h.t.evStarted)
	j.timer = time.AfterFunc(j.duration, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.finishJobLocked(j, false)
	})
	return j, nil
}

// finishJobLocked ends a job with the outcome the state gives now (or as
// cancelled).
func (h *Host) finishJobLocked(j *job, cancelled bool) {
	if j.finished {
		return
	}
	j.finished = true
	end := h.now()
	hr, det := h.backupOutcomeLocked()
	if hr == 0 && !cancelled && h.transientFailures > 0 {
		h.transientFailures--
		hr, det = hrWriterWrapper, hrWriterRetryable
	}
	if cancelled {
		hr, det = hrCancelled, 0
	}
	j.result = jobResult{end: end, hr: hr, detailedHR: det, state: "Completed"}
	snap := j.start.Add(time.Second)
	switch {
	case hr == 0:
		h.addEventLocked(EventBackupSucceeded, 4, end, h.t.evSucceeded)
		h.addEventLocked(EventBackupCompleted, 4, end, h.t.evCompleted)
		h.recordSuccessLocked(snap, end, h.policy.targets, j.start)
	default:
		if cancelled {
			j.result.state = "Cancelled"
		} else {
			j.result.state = "Failed"
		}
		h.addEventLocked(EventBackupFailed, 2, end, fmt.Sprintf(h.t.evFailed, eventTime(j.start), fmt.Sprintf("0x%08X", hr), h.t.hrMessage(hr)),
			eventTime(j.start), int64(int32(hr)), int64(int32(det)))
		h.result.lastTime, h.result.hr, h.result.detailedHR = snap, hr, det
		h.result.lastTarget = h.targetLabel()
		h.history = append(h.history, pastJob{start: j.start, end: end, hr: hr, detailedHR: det})
	}
	if s := h.serviceByName("wbengine"); s != nil {
		s.running = false
	}
	close(j.done)
}

func detOr(det, hr uint32) uint32 {
	if det != 0 {
		return det
	}
	return hr
}

// progress describes a running job: the phase line and, while volumes are
// copied, which volume and how far.
type progress struct {
	line     string
	volIndex int // -1 before the copy phase
	percent  int
}

// progressLocked is where a job is now.
func (h *Host) progressLocked(j *job) progress {
	f := 1.0
	if j.duration > 0 {
		f = float64(h.now().Sub(j.start)) / float64(j.duration)
	}
	switch {
	case f < 0.10:
		return progress{line: h.t.progShadow, volIndex: -1}
	case f < 0.15 || len(j.volumes) == 0:
		return progress{line: h.t.progScan, volIndex: -1}
	}
	if f >= 1 {
		f = 0.9999
	}
	per := 0.85 / float64(len(j.volumes))
	i := int((f - 0.15) / per)
	if i >= len(j.volumes) {
		i = len(j.volumes) - 1
	}
	pct := int(((f - 0.15) - float64(i)*per) / per * 100)
	return progress{line: fmt.Sprintf(h.t.progVolume, j.volumes[i], pct), volIndex: i, percent: pct}
}
