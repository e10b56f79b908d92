package lab

import (
	"fmt"
	"strings"
)

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
