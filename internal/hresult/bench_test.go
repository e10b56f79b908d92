package hresult

import (
	"strings"
	"testing"
)

// pastedLog is about size bytes of the kind of text engineers paste: event
// messages with decimal codes, event XML, vssadmin output full of GUIDs,
// timestamps, versions and Japanese messages.
func pastedLog(size int) string {
	lines := []string{
		"Log Name:      Application\r\n",
		"Date:          2024/03/15 11:16:38\r\n",
		"Backup started at '2024-03-15T02:00:11.123456700Z' failed with following error code '2155348249' (There is not enough disk space to create the volume shadow copy on the storage location.). Please rerun backup once issue is resolved.\r\n",
		`<Data Name="HRESULT">-2139619047</Data><VolumeInfo VolumeName="C:" HResult="-2139619047" DetailedHResult="-2147212513" Size="42949672960"/>` + "\r\n",
		"Writer name: 'System Writer'\r\n   Writer Id: {e8132975-6f93-4464-a53e-1050253ae220}\r\n   Writer Instance Id: {80780119-0000-4464-a53e-1050253ae220}\r\n   State: [8] Failed\r\n   Last error: Timed out (0x800423f2)\r\n",
		"Volume Shadow Copy Service error: Unexpected error calling routine. hr = 0x8000ffff, Unexpected failure.\r\n",
		"バックアップはエラー 0x80780119 で失敗しました。エラー0x800423f4が発生しました。\r\n",
		"OS Version 6.3.9600.80780119 build 1710501398, free 1073741824 bytes, 10.0.0.1:5985\r\n",
		"LastBackupResultHR : 2155348249\r\nLastBackupResultDetailedHR : -2147024891\r\n",
	}
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		b.WriteString(lines[i%len(lines)])
	}
	return b.String()[:size]
}

func TestPastedLogCodes(t *testing.T) {
	got := Extract(pastedLog(64 << 10))
	want := []Code{0x80780119, 0x8004231F, 0x800423F2, 0x8000FFFF, 0x800423F4, 0x80070005}
	if len(got) != len(want) {
		t.Fatalf("Extract(pasted log) = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Extract(pasted log) = %v, want %v", got, want)
		}
	}
}

func BenchmarkExtract64KiB(b *testing.B) {
	text := pastedLog(64 << 10)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if len(Extract(text)) == 0 {
			b.Fatal("no codes")
		}
	}
}

// BenchmarkFindAllWorstCase feeds inputs built to stress the scanner (long
// alphanumeric runs, many candidates, dashes and dots everywhere, wide
// runes) at two sizes; throughput (MB/s) stays flat when the scan is
// linear.
func BenchmarkFindAllWorstCase(b *testing.B) {
	inputs := map[string]string{
		"long-run":      "8",
		"candidates":    "0x80780119 ",
		"dashes":        "-2139619047-",
		"dots":          "1.80780119.",
		"fullwidth":     "０ｘ８０７８０１１９",
		"japanese":      "バックアップ",
		"guid-fragment": "80780119-",
	}
	for name, unit := range inputs {
		for _, size := range []int{64 << 10, 1 << 20} {
			text := strings.Repeat(unit, size/len(unit)+1)
			b.Run(name+"/"+sizeName(size), func(b *testing.B) {
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					FindAll(text)
				}
			})
		}
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return "1MiB"
	}
	return "64KiB"
}
