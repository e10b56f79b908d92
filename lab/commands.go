package lab

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// cmdEntry is one command pattern of the cmd table and its handler.
//
// Patterns are words matched case-insensitively; {name} captures one
// argument, {name...} captures the rest (it must come last). Entries are
// tried in order, so put specific patterns before catch-alls. To simulate a
// new command, add a line to commandTable.
type cmdEntry struct {
	pattern string
	toks    []string
	run     func(e *execEnv, a cmdArgs) int
}

// cmdArgs are a matched command's captures.
type cmdArgs struct {
	vals map[string][]string
	raw  string
}

func (a cmdArgs) one(k string) string {
	if v := a.vals[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (a cmdArgs) list(k string) []string { return a.vals[k] }

func (c cmdEntry) match(prog string, toks []string) (cmdArgs, bool) {
	if len(c.toks) == 0 || c.toks[0] != prog {
		return cmdArgs{}, false
	}
	a := cmdArgs{vals: map[string][]string{}}
	i := 1
	for _, pt := range c.toks[1:] {
		if strings.HasPrefix(pt, "{") && strings.HasSuffix(pt, "...}") {
			a.vals[strings.TrimSuffix(pt[1:], "...}")] = toks[i:]
			return a, true
		}
		if i >= len(toks) {
			return cmdArgs{}, false
		}
		if strings.HasPrefix(pt, "{") && strings.HasSuffix(pt, "}") {
			a.vals[pt[1:len(pt)-1]] = []string{toks[i]}
		} else if !strings.EqualFold(pt, toks[i]) {
			return cmdArgs{}, false
		}
		i++
	}
	if i != len(toks) {
		return cmdArgs{}, false
	}
	return a, true
}

// commandTable is the cmd.exe command table: what a host answers to plain
// command lines (and to native commands in PowerShell scripts).
func commandTable() []cmdEntry {
	entries := []cmdEntry{
		{pattern: "vssadmin list writers", run: cmdVssWriters},
		{pattern: "vssadmin list shadowstorage {opts...}", run: cmdVssShadowStorage},
		{pattern: "vssadmin list shadows {opts...}", run: cmdVssShadows},
		{pattern: "vssadmin list providers", run: cmdVssProviders},
		{pattern: "vssadmin {rest...}", run: cmdVssInvalid},

		{pattern: "wbadmin get versions {opts...}", run: cmdWbVersions},
		{pattern: "wbadmin get status", run: cmdWbStatus},
		{pattern: "wbadmin get disks", run: cmdWbDisks},
		{pattern: "wbadmin start backup {opts...}", run: cmdWbStartBackup},
		{pattern: "wbadmin stop job {opts...}", run: cmdWbStopJob},
		{pattern: "wbadmin {rest...}", run: cmdWbInvalid},

		{pattern: "fsutil usn queryjournal {vol}", run: cmdUsnQuery},
		{pattern: "fsutil usn deletejournal {args...}", run: cmdUsnDelete},
		{pattern: "fsutil volume diskfree {vol}", run: cmdDiskFree},
		{pattern: "fsutil {rest...}", run: cmdFsutilInvalid},

		{pattern: "mountvol", run: cmdMountvolList},
		{pattern: "mountvol {mp} /d", run: cmdMountvolRemove},
		{pattern: "mountvol {mp} /p", run: cmdMountvolRemove},
		{pattern: "mountvol {mp} /l", run: cmdMountvolShow},
		{pattern: "mountvol {mp} {vol}", run: cmdMountvolAssign},
		{pattern: "mountvol {rest...}", run: cmdMountvolUsage},

		{pattern: "net stop {svc...}", run: cmdNetStop},
		{pattern: "net start", run: cmdNetStartList},
		{pattern: "net start {svc...}", run: cmdNetStart},
		{pattern: "sc query {svc}", run: cmdScQuery},
		{pattern: "sc queryex {svc}", run: cmdScQuery},

		{pattern: "hostname", run: cmdHostname},
		{pattern: "whoami", run: cmdWhoami},
		{pattern: "findstr {args...}", run: cmdFindstr},
		{pattern: "find {args...}", run: cmdFind},
	}
	for i := range entries {
		entries[i].toks = strings.Fields(strings.ToLower(entries[i].pattern))
	}
	return entries
}

// --- vssadmin ---

// ensureVSSLocked starts the VSS service as vssadmin does (it is demand
// started).
func (h *Host) ensureVSSLocked() {
	if s := h.serviceByName("VSS"); s != nil && !s.running {
		h.startServiceLocked(s)
	}
}

func cmdVssWriters(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	var b strings.Builder
	h.mu.Lock()
	h.ensureVSSLocked()
	b.WriteString(t.vssBanner + "\r\n")
	for _, w := range h.writers {
		if !h.writerListed(w) {
			continue
		}
		st := h.writerShownState(w)
		b.WriteString(t.writerName + t.quoteL + w.name + t.quoteR + "\r\n")
		b.WriteString(t.writerID + braced(w.id) + "\r\n")
		b.WriteString(t.writerInst + braced(w.instance) + "\r\n")
		fmt.Fprintf(&b, "%s[%d] %s\r\n", t.state, st, t.stateWord(st))
		b.WriteString(t.lastErr + t.errWords[w.lastErr] + "\r\n\r\n")
	}
	h.mu.Unlock()
	e.out(b.String())
	return 0
}

// volumeDisplay is how vssadmin names a volume: "(C:)\\?\Volume{...}\" or
// "(\\?\Volume{...}\)\\?\Volume{...}\".
func volumeDisplay(v *volume) string {
	if v.letter != 0 {
		return fmt.Sprintf("(%c:)%s", v.letter, volumeName(v.guid))
	}
	return "(" + volumeName(v.guid) + ")" + volumeName(v.guid)
}

func percent(n, of int64) int64 {
	if of == 0 {
		return 0
	}
	return n * 100 / of
}

func cmdVssShadowStorage(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	filter := ""
	for _, o := range a.list("opts") {
		if lo := strings.ToLower(o); strings.HasPrefix(lo, "/for=") {
			filter = o[5:]
		}
	}
	var b strings.Builder
	h.mu.Lock()
	h.ensureVSSLocked()
	b.WriteString(t.vssBanner + "\r\n")
	n := 0
	var only *volume
	if filter != "" {
		only = h.findVolume(filter)
	}
	for _, v := range h.visibleVolumes() {
		if v.shadowMx == 0 || (filter != "" && v != only) {
			continue
		}
		n++
		alloc := v.shadowUs + 512*mib
		b.WriteString(t.ssAssoc + "\r\n")
		b.WriteString(t.ssFor + volumeDisplay(v) + "\r\n")
		b.WriteString(t.ssOn + volumeDisplay(v) + "\r\n")
		fmt.Fprintf(&b, "%s%s (%d%%)\r\n", t.ssUsed, vssSize(v.shadowUs), percent(v.shadowUs, v.size))
		fmt.Fprintf(&b, "%s%s (%d%%)\r\n", t.ssAlloc, vssSize(alloc), percent(alloc, v.size))
		fmt.Fprintf(&b, "%s%s (%d%%)\r\n\r\n", t.ssMax, vssSize(v.shadowMx), percent(v.shadowMx, v.size))
	}
	h.mu.Unlock()
	if n == 0 {
		b.WriteString(t.noItems + "\r\n")
	}
	e.out(b.String())
	return 0
}

func cmdVssShadows(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	var b strings.Builder
	h.mu.Lock()
	h.ensureVSSLocked()
	b.WriteString(t.vssBanner + "\r\n")
	fqdn := strings.ToUpper(h.name) + "." + h.domain
	for i := 0; i < len(h.shadows); {
		set := h.shadows[i].setID
		j := i
		for j < len(h.shadows) && h.shadows[j].setID == set {
			j++
		}
		b.WriteString(t.shSet + braced(set) + "\r\n")
		fmt.Fprintf(&b, t.shContained+"%s\r\n", j-i, t.DateTime(h.shadows[i].created))
		for _, s := range h.shadows[i:j] {
			v := h.findVolume(s.vol)
			if v == nil {
				continue
			}
			b.WriteString(t.shID + braced(s.id) + "\r\n")
			b.WriteString(t.shOrig + volumeDisplay(v) + "\r\n")
			fmt.Fprintf(&b, "%s\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy%d\r\n", t.shVol, s.index)
			b.WriteString(t.shOrigMachine + fqdn + "\r\n")
			b.WriteString(t.shSvcMachine + fqdn + "\r\n")
			b.WriteString(t.shProvider + "'Microsoft Software Shadow Copy provider 1.0'\r\n")
			b.WriteString(t.shType + "DataVolumeRollback\r\n")
			b.WriteString(t.shAttrs + "Persistent, No auto release, Differential, Auto recovered\r\n\r\n")
		}
		i = j
	}
	if len(h.shadows) == 0 {
		b.WriteString(t.noItems + "\r\n")
	}
	h.mu.Unlock()
	e.out(b.String())
	return 0
}

func cmdVssProviders(e *execEnv, _ cmdArgs) int {
	t := e.h.t
	name, typ, id, ver := "Provider name: ", "   Provider type: System", "   Provider Id: ", "   Version: "
	if t.Lang == LangJapanese {
		name, typ, id, ver = "プロバイダー名: ", "   プロバイダーの種類: システム", "   プロバイダー ID: ", "   バージョン: "
	}
	e.out(t.vssBanner + "\r\n" + name + t.quoteL + "Microsoft Software Shadow Copy provider 1.0" + t.quoteR + "\r\n" +
		typ + "\r\n" + id + "{b5946137-7b9f-4925-af80-51abd60b20d5}\r\n" + ver + "1.0.0.7\r\n\r\n")
	return 0
}

func cmdVssInvalid(e *execEnv, _ cmdArgs) int {
	t := e.h.t
	e.out(t.vssBanner + "\r\n" + t.vssInvalid + "\r\n" +
		"---- Commands Supported ----\r\n\r\n" +
		"Delete Shadows        - Delete volume shadow copies\r\n" +
		"List Providers        - List registered volume shadow copy providers\r\n" +
		"List Shadows          - List existing volume shadow copies\r\n" +
		"List ShadowStorage    - List volume shadow copy storage associations\r\n" +
		"List Volumes          - List volumes eligible for shadow copies\r\n" +
		"List Writers          - List subscribed volume shadow copy writers\r\n" +
		"Resize ShadowStorage  - Resize a volume shadow copy storage association\r\n")
	return 1
}

// --- wbadmin ---

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
