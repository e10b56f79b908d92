package lab

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

func cmdWbVersions(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	filter := ""
	for _, o := range a.list("opts") {
		lo := strings.ToLower(o)
		if strings.HasPrefix(lo, "-backuptarget:") {
			filter = o[len("-backuptarget:"):]
		}
	}
	var b strings.Builder
	b.WriteString(t.wbBanner + "\r\n")
	h.mu.Lock()
	n := 0
	trail := ""
	if t.Lang == LangEnglish {
		trail = " "
	}
	for _, v := range h.versions {
		if filter != "" && !strings.EqualFold(strings.TrimSuffix(filter, `\`), strings.TrimSuffix(v.targetLabel, `\`)) {
			continue
		}
		n++
		tg := fmt.Sprintf(t.targetDisk, v.targetLabel)
		if v.network {
			tg = fmt.Sprintf(t.targetNetwork, v.targetLabel)
		}
		b.WriteString(t.verTime + t.DateTimeNoSeconds(v.when) + trail + "\r\n")
		b.WriteString(t.verTarget + tg + "\r\n")
		b.WriteString(t.verID + v.when.UTC().Format("01/02/2006-15:04") + "\r\n")
		b.WriteString(t.verRecover + t.recoverList(v.bmr, v.system) + "\r\n")
		b.WriteString(t.verSnap + braced(v.snapshot) + "\r\n\r\n")
	}
	h.mu.Unlock()
	if n == 0 {
		b.WriteString(t.noVersions + "\r\n")
	}
	e.out(b.String())
	return 0
}

func cmdWbStatus(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	e.out(t.wbBanner + "\r\n")
	h.mu.Lock()
	j := h.job
	running := j != nil && !j.finished
	h.mu.Unlock()
	if !running {
		e.out(t.statusIdle + "\r\n")
		return 0
	}
	return e.followJob(j)
}

// followJob prints a job's progress until it ends (or the command is
// cancelled: the job itself goes on, as wbadmin's does).
func (e *execEnv) followJob(j *job) int {
	h, t := e.h, e.h.t
	last := ""
	for {
		h.mu.Lock()
		finished := j.finished
		var pr progress
		if !finished {
			pr = h.progressLocked(j)
		}
		res := j.result
		vols := j.volumes
		h.mu.Unlock()
		if finished {
			if res.hr == 0 {
				var b strings.Builder
				for _, v := range vols {
					b.WriteString(fmt.Sprintf(t.progVolumeDone, v) + "\r\n")
				}
				b.WriteString("\r\n" + t.progSummary + "\r\n\r\n" + t.progSuccess + "\r\n")
				e.out(b.String())
				return 0
			}
			if res.state == "Cancelled" {
				e.out(t.progCancelled + "\r\n")
				return 1
			}
			e.out(t.progFailed + "\r\n" + fmt.Sprintf(t.progDetail, t.hrMessage(detOr(res.detailedHR, res.hr))) + "\r\n")
			return 1
		}
		if pr.line != last {
			e.out(pr.line + "\r\n")
			last = pr.line
		}
		select {
		case <-j.done:
		case <-e.ctx.Done():
			return 1
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func cmdWbDisks(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	var b strings.Builder
	b.WriteString(t.wbBanner + "\r\n")
	h.mu.Lock()
	for _, d := range h.disks {
		if !d.present {
			continue
		}
		var used int64
		var names []string
		for _, v := range h.volumes {
			if v.disk != d.number {
				continue
			}
			used += v.used + v.usn
			n := h.friendlyName(v)
			if v.letter == 0 {
				n += t.noLetter
			}
			names = append(names, n)
		}
		b.WriteString(t.diskName + d.friendly + "\r\n")
		fmt.Fprintf(&b, "%s%d\r\n", t.diskNumber, d.number)
		b.WriteString(t.diskID + braced(guid(h.name, fmt.Sprintf("wbdisk-%d", d.number))) + "\r\n")
		fmt.Fprintf(&b, "%s%.2f GB\r\n", t.diskTotal, float64(d.size)/float64(gib))
		fmt.Fprintf(&b, "%s%.2f GB\r\n", t.diskUsed, float64(used)/float64(gib))
		b.WriteString(t.diskVolumes + strings.Join(names, ", ") + "\r\n\r\n")
	}
	h.mu.Unlock()
	e.out(b.String())
	return 0
}

func cmdWbStartBackup(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	quiet := false
	for _, o := range a.list("opts") {
		if strings.EqualFold(o, "-quiet") {
			quiet = true
		}
	}
	e.out(t.wbBanner + "\r\n" + t.progRetrieving + "\r\n")
	if !quiet {
		e.out("Do you want to start the backup operation?\r\n[Y] Yes [N] No N\r\n\r\n" + t.progCancelled + "\r\n")
		return 1
	}
	h.mu.Lock()
	j, err := h.startJobLocked()
	h.mu.Unlock()
	if err != nil {
		e.out("ERROR - " + t.psJobRunning + "\r\n")
		return 1
	}
	e.out(fmt.Sprintf(t.progStarting, strings.Join(j.volumes, ", "), j.target, j.target) + "\r\n")
	return e.followJob(j)
}

func cmdWbStopJob(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	e.out(t.wbBanner + "\r\n")
	h.mu.Lock()
	j := h.job
	if j == nil || j.finished {
		h.mu.Unlock()
		e.out(t.stopNoJob + "\r\n")
		return 1
	}
	if j.timer != nil {
		j.timer.Stop()
	}
	h.finishJobLocked(j, true)
	h.mu.Unlock()
	e.out(t.stopDone + "\r\n")
	return 0
}

func cmdWbInvalid(e *execEnv, a cmdArgs) int {
	t := e.h.t
	what := strings.Join(a.list("rest"), " ")
	if what == "" {
		what = "wbadmin"
	}
	e.out(t.wbBanner + "\r\n" + fmt.Sprintf(t.wbSyntax, what) + "\r\n" +
		"---- Commands Supported ----\r\n\r\n" +
		"START BACKUP          -- Runs a one-time backup.\r\n" +
		"STOP JOB              -- Stops the currently running backup or recovery\r\n" +
		"                         operation.\r\n" +
		"GET VERSIONS          -- Lists details of backups that can be recovered.\r\n" +
		"GET STATUS            -- Reports the status of the currently running\r\n" +
		"                         operation.\r\n" +
		"GET DISKS             -- Lists the disks that are currently online.\r\n")
	return 1
}

// vssSize formats like vssadmin and wbadmin: three significant digits,
// "2.06 GB", "11.8 GB", "500 MB".
func vssSize(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	f := float64(n)
	u := 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1024
		u++
	}
	switch {
	case f >= 100:
		return strconv.FormatFloat(math.Floor(f), 'f', 0, 64) + " " + units[u]
	case f >= 10:
		return strconv.FormatFloat(math.Floor(f*10)/10, 'f', 1, 64) + " " + units[u]
	}
	return strconv.FormatFloat(math.Floor(f*100)/100, 'f', 2, 64) + " " + units[u]
}

// Like matches PowerShell -like patterns (* ? and [a-z]),
// case-insensitively.
