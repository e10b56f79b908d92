package bot

import (
	"strconv"

	"github.com/wsbbot/wsbbot/runbooks"
)

// texts writes what the core itself says, in one language. Every sentence
// the core writes goes through pick with both languages side by side, so a
// reply never mixes them.
type texts struct{ lang runbooks.Lang }

func (t texts) pick(en, ja string) string { return t.lang.Pick(en, ja) }

// LangFor returns the reply language for a user's locale: ja* is
// Japanese, en* is English, anything else (none, C, POSIX, another
// language) the configured default.
func LangFor(locale string, def runbooks.Lang) runbooks.Lang {
	if l, ok := runbooks.LangFromLocale(locale); ok {
		return l
	}
	if def == "" {
		return runbooks.LangEN
	}
	return def
}

func itoa(n int) string { return strconv.Itoa(n) }

// evidenceLabel names the report keys the core knows; others are shown by
// their key (data, not a sentence).
func (t texts) evidenceLabel(key string) string {
	switch key {
	case "not_stable":
		return t.pick("Writers not stable", "安定していないライター")
	case "services":
		return t.pick("Their services", "対応するサービス")
	case "disruptive":
		return t.pick("Disruptive to restart", "再起動で業務が止まるサービス")
	case "free":
		return t.pick("Free space", "空き領域")
	case "short":
		return t.pick("Short of space", "空き不足のボリューム")
	case "associations":
		return t.pick("Shadow storage", "シャドウ ストレージ")
	case "last_result_hr":
		return t.pick("Last result", "前回の結果コード")
	case "last_result_detailed_hr":
		return t.pick("Detailed error", "詳細エラー コード")
	case "catalogue_code":
		return t.pick("Code to look up", "調べるべきコード")
	case "codes":
		return t.pick("Codes in the event log", "イベント ログのコード")
	case "last_backup_target":
		return t.pick("Last backup", "前回のバックアップ")
	case "versions":
		return t.pick("Backup versions", "バックアップのバージョン数")
	case "targets":
		return t.pick("Backup targets", "バックアップ先")
	case "offline":
		return t.pick("Offline disks", "オフラインのディスク")
	case "disks":
		return t.pick("Disks", "ディスク")
	case "shares":
		return t.pick("Shares", "共有")
	case "dialects":
		return t.pick("SMB dialects", "SMB ダイアレクト")
	}
	return key
}

// hiddenEvidence reports the report keys whose value is prose from Windows
// or the runbook, or a count, rather than parsed evidence: replies leave
// them out (they would mix languages); the record keeps the full output.
func hiddenEvidence(key string) bool {
	switch key {
	case "detailed_message", "failures", "read":
		return true
	}
	return false
}
