package langcheck

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnglishSentences(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"wsbbot による翻訳: title, cause, first_action", nil},
		{"FAILED: none of the latest backup events is a failure — backup failures: x", []string{"none of the latest backup events is a failure"}},
		{"431.0 MB free of 500.0 MB", nil},
		{"「The system image restore failed. Error details: Incorrect function (0x80070001)」で失敗します。", []string{"The system image restore failed"}},
		{"Block Level Backup Engine Service（wbengine）が該当します。", nil},
		{"`Get-WBSummary | Select-Object -Property the of is a` を実行", nil},
		{"出典: support.microsoft.com: How to restore the system state", nil},
		{"> the backup failed: 0x800423F4", nil},
		{"Microsoft Software Shadow Copy Provider（swprv）", nil},
		{"Windows 7 の「バックアップと復元」", nil},
		{"Paste an error code or a whole log line", []string{"Paste an error code or a whole log line"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, EnglishSentences(tt.text)); diff != "" {
			t.Errorf("EnglishSentences(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}
