package winout

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readSample(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return stripSource(string(b))
}

func readInput(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(inputsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type writerBrief struct {
	Name  string
	State int
	Class string
	Last  string
}

func briefs(ws []Writer) []writerBrief {
	out := []writerBrief{}
	for _, w := range ws {
		out = append(out, writerBrief{w.Name, w.State, w.Class, w.LastError})
	}
	return out
}

func TestParseVSSWritersSamples(t *testing.T) {
	tests := []struct {
		file         string
		want         []writerBrief
		failed       int
		notStable    int
		warnContains []string
	}{
		{
			file: "vssadmin-list-writers/en-01_msdocs-kb2952783_guest-writers-state9-failed.txt",
			want: []writerBrief{
				{"System Writer", 9, ClassFailed, "No error"},
				{"COM+ REGDB Writer", 9, ClassFailed, "No error"},
				{"MSDEWriter", 1, ClassStable, "No error"},
				{"Registry Writer", 9, ClassFailed, "No error"},
				{"WMI Writer", 9, ClassFailed, "No error"},
				{"Event Log Writer", 9, ClassFailed, "No error"},
			},
			failed: 5, notStable: 5,
		},
		{
			file: "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt",
			want: []writerBrief{
				{"System Writer", 1, ClassStable, "No error"},
				{"Registry Writer", 1, ClassStable, "No error"},
				{"IIS Metabase Writer", 1, ClassStable, "No error"},
				{"Event Log Writer", 1, ClassStable, "No error"},
				{"Microsoft Exchange Writer", 7, ClassFailed, "Retryable error"},
			},
			failed: 1, notStable: 1,
		},
		{
			file: "vssadmin-list-writers/en-03_gilkirkpatrick-blog_hyperv-state8-inconsistent_system-state5-waiting.txt",
			want: []writerBrief{
				{"Microsoft Hyper-V VSS Writer", 8, ClassFailed, "Inconsistent shadow copy"},
				{"System Writer", 5, ClassInProgress, "No error"},
				{"Registry Writer", -1, ClassUnknown, ""},
			},
			failed: 1, notStable: 3,
			warnContains: []string{`"Registry Writer"`, "no state line"},
		},
		{
			file: "vssadmin-list-writers/ja-01_jpwinsup-askcorejp_all-stable.txt",
			want: []writerBrief{
				{"System Writer", 1, ClassStable, "エラーなし"},
				{"ASR Writer", 1, ClassStable, "エラーなし"},
				{"Registry Writer", 1, ClassStable, "エラーなし"},
				{"WMI Writer", 1, ClassStable, "エラーなし"},
				{"COM+ REGDB Writer", 1, ClassStable, "エラーなし"},
				{"Shadow Copy Optimization Writer", 1, ClassStable, "エラーなし"},
			},
		},
		{
			file: "vssadmin-list-writers/fr-01_openzfsonwindows-issue406_stable-partial.txt",
			want: []writerBrief{
				{"Task Scheduler Writer", 1, ClassStable, "Aucune erreur"},
				{"VSS Metadata Store Writer", 1, ClassStable, "Aucune erreur"},
				{"Performance Counters Writer", 1, ClassStable, "Aucune erreur"},
				{"System Writer", 1, ClassStable, "Aucune erreur"},
			},
		},
		{
			file:         "vssadmin-list-writers/ja-02_jpwinsup-askcorejp_all-writers-missing.txt",
			want:         []writerBrief{},
			warnContains: []string{"no writers", "0x80042318"},
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := ParseVSSWriters(readSample(t, tt.file))
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(tt.want, briefs(got.Writers)); diff != "" {
				t.Errorf("writers (-want +got):\n%s", diff)
			}
			if n := len(got.Failed()); n != tt.failed {
				t.Errorf("Failed() = %d writers, want %d", n, tt.failed)
			}
			if n := len(got.NotStable()); n != tt.notStable {
				t.Errorf("NotStable() = %d writers, want %d", n, tt.notStable)
			}
			all := strings.Join(got.Warnings, "\n")
			for _, w := range tt.warnContains {
				if !strings.Contains(all, w) {
					t.Errorf("warnings %q lack %q", got.Warnings, w)
				}
			}
			if len(tt.warnContains) == 0 && len(got.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", got.Warnings)
			}
		})
	}
}

func TestParseVSSWritersIDs(t *testing.T) {
	got, err := ParseVSSWriters(readSample(t, "vssadmin-list-writers/fr-01_openzfsonwindows-issue406_stable-partial.txt"))
	if err != nil {
		t.Fatal(err)
	}
	w := got.Writers[0]
	if w.WriterID != "d61d61c8-d73a-4eee-8cdd-f6f9786b7124" || w.InstanceID != "1bddd48e-5052-49db-9b07-b96f96727e6b" || w.StateWord != "Stable" {
		t.Errorf("first French writer = %+v", w)
	}
	got, err = ParseVSSWriters(readInput(t, "synth-vss-writers-redacted-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := [][2]string{{"", ""}, {"", ""}, {"a6ad56c2-b509-4e6c-bb19-49d8f43532f0", "0fe76f97-9185-4bb8-b9da-6ce35be4bc01"}}
	for i, w := range got.Writers {
		if [2]string{w.WriterID, w.InstanceID} != wantIDs[i] {
			t.Errorf("writer %d ids = %q %q, want %q", i, w.WriterID, w.InstanceID, wantIDs[i])
		}
	}
	if len(got.Warnings) != 4 {
		t.Errorf("want 4 redaction warnings, got %q", got.Warnings)
	}
}

func TestParseVSSWritersMismatch(t *testing.T) {
	got, err := ParseVSSWriters(readInput(t, "synth-vss-writers-mismatch-word.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []writerBrief{
		{"System Writer", 1, ClassStable, "No error"},
		{"Registry Writer", 9, ClassFailed, "No error"},
		{"WMI Writer", 5, ClassInProgress, "エラーなし"},
	}
	if diff := cmp.Diff(want, briefs(got.Writers)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(got.Warnings) != 3 {
		t.Fatalf("want one warning per writer, got %q", got.Warnings)
	}
	for i, name := range []string{"System Writer", "Registry Writer", "WMI Writer"} {
		if !strings.Contains(got.Warnings[i], name) || !strings.Contains(got.Warnings[i], "using the number") {
			t.Errorf("warning %d = %q, want it to name %s", i, got.Warnings[i], name)
		}
	}
}

func TestParseVSSWritersErrors(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		wantCode string
		wantMsg  string
	}{
		{"error line with code", readInput(t, "synth-vss-writers-error-8000ffff.txt"), "0x8000FFFF", "0x8000FFFF"},
		{"japanese text error", readInput(t, "synth-vss-writers-error-text-ja-crlf.txt"), "", "予期しないエラーが発生しました。 詳細については"},
		{"unknown label with hex behind log prefix", readInput(t, "synth-vss-writers-error-unknown-label-log-prefix.txt"), "0x80042302", "0x80042302"},
		{"french label", "Erreur : 0x80042302 Un composant a rencontré une erreur\n", "0x80042302", "Un composant"},
		{"lower-case hex", "fs01 | vssadmin 1.1 - x\nError: 0x8004230f\n", "0x8004230F", "0x8004230f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVSSWriters(tt.text)
			var ve *VSSAdminError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *VSSAdminError", err)
			}
			if !errors.Is(err, ErrCommandFailed) || errors.Is(err, ErrNotThisOutput) {
				t.Errorf("errors.Is mismatch for %v", err)
			}
			if ve.Code != tt.wantCode || !strings.Contains(ve.Message, tt.wantMsg) {
				t.Errorf("got %+v, want code %q and message containing %q", ve, tt.wantCode, tt.wantMsg)
			}
			if got.Writers == nil || len(got.Writers) != 0 {
				t.Errorf("writers = %#v, want empty non-nil", got.Writers)
			}
		})
	}
}

func TestParseVSSWritersNotThis(t *testing.T) {
	for name, text := range map[string]string{
		"empty":         "",
		"dir listing":   readInput(t, "synth-vss-writers-not-vssadmin.txt"),
		"shadowstore":   readSample(t, "other/en-01_personal-notes_console-wrap-80col.txt"),
		"prose quotes":  "Note: 'quoted text' here\nAnother: 'more'\n",
		"orphan fields": "   State: [7] Failed\n   Last error: 0x800423F3\n   最後のエラー: 0x800423F4\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseVSSWriters(text)
			var nt *NotThisOutputError
			if !errors.As(err, &nt) || nt.Reason == "" || nt.Kind != KindVSSWriters {
				t.Fatalf("err = %v, want *NotThisOutputError with a reason", err)
			}
			if !errors.Is(err, ErrNotThisOutput) {
				t.Errorf("errors.Is(err, ErrNotThisOutput) = false")
			}
		})
	}
}

func TestClassForState(t *testing.T) {
	want := map[int]string{-1: ClassUnknown, 0: ClassUnknown, 1: ClassStable, 2: ClassInProgress, 5: ClassInProgress,
		6: ClassFailed, 9: ClassFailed, 15: ClassFailed, 16: ClassUnknown, 99: ClassUnknown}
	for n, c := range want {
		if got := ClassForState(n); got != c {
			t.Errorf("ClassForState(%d) = %q, want %q", n, got, c)
		}
	}
}

func f64(v float64) *float64 { return &v }

func TestParseShadowStorage(t *testing.T) {
	got, err := ParseShadowStorage(readSample(t, "other/en-01_personal-notes_console-wrap-80col.txt"))
	if err != nil {
		t.Fatal(err)
	}
	vol := VolumeRef{Drive: "C:", ShownAs: "C:", Path: `\\?\Volume{986da89b-2336-4410-9417-d5dbf1f5f3e5}\`, GUID: "986da89b-2336-4410-9417-d5dbf1f5f3e5"}
	want := []ShadowStorageAssociation{{
		ForVolume: vol, StorageVolume: vol,
		Used: "2.06 GB (1%)", Allocated: "2.53 GB (1%)", Maximum: "11.8 GB (8%)",
		UsedBytes: 2211908157, AllocatedBytes: 2716566815, MaxBytes: 12670153523,
		UsedPercent: f64(1), AllocatedPercent: f64(1), MaxPercent: f64(8),
	}}
	if diff := cmp.Diff(want, got.Associations); diff != "" {
		t.Errorf("80-column sample (-want +got):\n%s", diff)
	}
	if len(got.Warnings) != 0 {
		t.Errorf("warnings %q", got.Warnings)
	}

	// The French synthetic prints the maximum first: label hints fix the order.
	fr, err := ParseShadowStorage(readInput(t, "synth-shadowstorage-fr-decimal-comma.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if a := fr.Associations[0]; a.UsedBytes != 2211908157 || a.MaxBytes != 12670153523 || *a.MaxPercent != 8 {
		t.Errorf("French association = %+v", a)
	}
	un, err := ParseShadowStorage(readInput(t, "synth-shadowstorage-multi-unbounded.txt"))
	if err != nil || len(un.Associations) != 3 {
		t.Fatalf("multi: %v %+v", err, un)
	}
	for i, wantUnb := range []bool{true, false, true} {
		a := un.Associations[i]
		if a.MaxUnbounded != wantUnb || (a.MaxBytes == -1) != wantUnb {
			t.Errorf("association %d: unbounded=%v max=%d", i, a.MaxUnbounded, a.MaxBytes)
		}
	}
	if un.Associations[0].AllocatedBytes != 1605286976553 || un.Associations[1].ForVolume.ShownAs != `\\?\Volume{a8b62a0e-4f46-44ed-a4ae-16368e84c5ae}\` {
		t.Errorf("multi = %+v", un.Associations)
	}
}

func TestParseShadowStorageEmptyAndErrors(t *testing.T) {
	for _, text := range []string{
		readSample(t, "other/ja-00_no-real-capture_localized-strings.txt"),
		readInput(t, "synth-shadowstorage-no-items-en.txt"),
		"No items found that satisfy the query.\r\n",
	} {
		got, err := ParseShadowStorage(text)
		if err != nil || got.Associations == nil || len(got.Associations) != 0 || len(got.Warnings) != 0 {
			t.Errorf("no-items %q: %+v, %v", text, got, err)
		}
	}
	_, err := ParseShadowStorage(readInput(t, "synth-shadowstorage-error-invalid-command.txt"))
	var ve *VSSAdminError
	if !errors.As(err, &ve) || ve.Message != "Invalid command." || ve.Code != "" {
		t.Errorf("invalid command: %v", err)
	}
	_, err = ParseShadowStorage(readSample(t, "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt"))
	if !errors.Is(err, ErrNotThisOutput) {
		t.Errorf("writers as shadowstorage: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"2.06 GB", 2211908157, true},
		{"2,06 Go", 2211908157, true},
		{"320 MB", 335544320, true},
		{"320 Mo", 335544320, true},
		{"0 bytes", 0, true},
		{"0 B", 0, true},
		{"512 KB", 524288, true},
		{"1 024 Ko", 1048576, true},
		{"1.46 TB", 1605286976553, true},
		{"12 ГБ", 12884901888, true},
		{"12", 0, false},
		{"12 parsecs", 0, false},
		{"UNBOUNDED", 0, false},
		{"9999999 EB", 0, false},
	}
	for _, tt := range tests {
		got, ok, _ := parseSize(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseWBAdminVersions(t *testing.T) {
	en, err := ParseWBAdminVersions(readSample(t, "other/get-versions_en-02_pki-lab_fixed-disk-with-snapshot-id.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := []BackupVersion{{
		BackupTime: "6/30/2026 12:26 PM", BackupTarget: "Fixed Disk labeled F:", VersionID: "06/30/2026-19:26",
		CanRecover: []string{"Volume(s)", "File(s)", "Application(s)", "System State"},
		SnapshotID: "fae1a66c-0917-4ec1-8940-a82c22959cde",
	}}
	if diff := cmp.Diff(want, en.Versions); diff != "" || len(en.Warnings) != 0 {
		t.Errorf("en-02 (-want +got):\n%s\nwarnings %q", diff, en.Warnings)
	}
	ja, err := ParseWBAdminVersions(readSample(t, "other/get-versions_ja-01_jpwinsup-generation-management.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ja.Versions) != 2 || len(ja.Warnings) != 0 {
		t.Fatalf("ja-01: %+v", ja)
	}
	for i, id := range []string{"03/01/2023-18:13", "03/05/2023-09:32"} {
		v := ja.Versions[i]
		if v.VersionID != id || !v.BareMetalRecovery || len(v.CanRecover) != 5 || v.BackupTarget != "固定ディスク ラベル付き E:" {
			t.Errorf("ja-01 version %d = %+v", i, v)
		}
	}
	syn, err := ParseWBAdminVersions(readInput(t, "synth-wbadmin-versions-crlf-blank-lines.txt"))
	if err != nil || len(syn.Versions) != 3 {
		t.Fatalf("synthetic: %v %+v", err, syn)
	}
	if v := syn.Versions[1]; v.BackupTarget != `Network Share labeled \\nas01\wsb` || v.SnapshotID != "" || len(v.CanRecover) != 2 {
		t.Errorf("network version = %+v", v)
	}
	if syn.Versions[2].SnapshotID != "fae1a66c-0917-4ec1-8940-a82c22959cde" || syn.Versions[2].BackupTime != "3/16/2024 9:00 PM" {
		t.Errorf("third version = %+v", syn.Versions[2])
	}
	_, err = ParseWBAdminVersions(readInput(t, "synth-wbadmin-versions-error.txt"))
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Command != "wbadmin" || !errors.Is(err, ErrCommandFailed) {
		t.Errorf("error output: %v", err)
	}
}

func TestParseWBSummary(t *testing.T) {
	got, err := ParseWBSummary(readSample(t, "other/get-wbsummary_frCA-01_auditwsbackup_success-ws2022.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got.NumberOfVersions != 101 || got.LastBackupResultHR != "0x00000000" || got.LastBackupResultDetailedHR != "0x00000000" ||
		got.LastSuccessfulBackupTargetPath != `\\?\Volume{61776c53-3eeb-447b-b38e-a6cd3bee7fbb}` ||
		got.LastBackupTarget != "Toothle 2023_11_18 13:54 DISK_01" || got.CurrentOperationStatus != "NoOperationInProgress" ||
		got.DetailedMessage != "" || len(got.Properties) != 11 || len(got.Warnings) != 0 {
		t.Errorf("frCA sample = %+v", got)
	}
	w, err := ParseWBSummary(readInput(t, "synth-wbsummary-failed-wrapped-crlf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if w.LastBackupResultHR != "0x807800A1" || w.LastBackupResultDetailedHR != "0x800423F4" || w.Properties["PSComputerName"] != "fs01" ||
		!strings.HasSuffix(w.DetailedMessage, "Please rerun backup once issue is resolved.") || strings.Contains(w.DetailedMessage, "  ") {
		t.Errorf("wrapped = %+v", w)
	}
}

func TestCanonicalHR(t *testing.T) {
	tests := map[string]string{
		"0": "0x00000000", "2155348129": "0x807800A1", "-2139619167": "0x807800A1", "0x807800a1": "0x807800A1",
		"0X800701B1": "0x800701B1", "-2147024891": "0x80070005", "4294967295": "0xFFFFFFFF", "+5": "0x00000005",
	}
	for in, want := range tests {
		if got, ok := canonicalHR(in); !ok || got != want {
			t.Errorf("canonicalHR(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "4294967296", "-2147483649", "0x1FFFFFFFF", "n/a", "0x"} {
		if got, ok := canonicalHR(bad); ok {
			t.Errorf("canonicalHR(%q) = %q, want failure", bad, got)
		}
	}
}

func TestParseUSNJournal(t *testing.T) {
	got, err := ParseUSNJournal(readSample(t, "other/fsutil-queryjournal_en-01_jpwinsup-16TB-usn.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := USNJournal{
		Active: true, USNJournalID: 0x01d230d8ceaba8ed, FirstUSN: 0x00000fffffec0000, NextUSN: 0x00000ffffffe0000,
		LowestValidUSN: 0, MaxUSN: 0x7fffffffffff0000, MaximumSize: 0x100000, AllocationDelta: 0x40000,
		MinRecordVersion: 2, MaxRecordVersion: 4, WriteRangeTracking: "Disabled", Warnings: []string{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("en-01 (-want +got):\n%s", diff)
	}
	// Japanese labels: matched by value shape in order; trailers ignored.
	ja, err := ParseUSNJournal(readInput(t, "synth-usn-journal-ja-labels-crlf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	en2, err := ParseUSNJournal(readSample(t, "other/fsutil-queryjournal_en-02_tonymason-comment.txt"))
	if err != nil {
		t.Fatal(err)
	}
	en2.WriteRangeTracking = "無効"
	if diff := cmp.Diff(en2, ja); diff != "" {
		t.Errorf("ja labels differ from the same values in English (-en +ja):\n%s", diff)
	}
	for _, name := range []string{"synth-usn-journal-not-active.txt", "synth-usn-journal-not-active-code.txt"} {
		na, err := ParseUSNJournal(readInput(t, name))
		if err != nil || na.Active || na.Message == "" || na.USNJournalID != 0 {
			t.Errorf("%s: %+v, %v", name, na, err)
		}
	}
	_, err = ParseUSNJournal(readInput(t, "synth-usn-journal-access-denied.txt"))
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Command != "fsutil" || ce.Message != "Access is denied." {
		t.Errorf("access denied: %v", err)
	}
}

func TestParseMountvol(t *testing.T) {
	tests := []struct {
		file  string
		want  []MountvolVolume
		nWarn int
	}{
		{
			file: "other/mountvol_en-02_dualboot-python-docstring.txt",
			want: []MountvolVolume{
				{VolumeName: `\\?\Volume{3f322a36-9af4-45f8-b388-2fa39ba8b4d3}\`, GUID: "3f322a36-9af4-45f8-b388-2fa39ba8b4d3", MountPoints: []string{`D:\`}},
				{VolumeName: `\\?\Volume{fcce2cc5-e585-41a5-938a-bd44acda3011}\`, GUID: "fcce2cc5-e585-41a5-938a-bd44acda3011", MountPoints: []string{}, NoMountPoints: true, Status: "NO MOUNT POINTS"},
				{VolumeName: `\\?\Volume{a8b62a0e-4f46-44ed-a4ae-16368e84c5ae}\`, GUID: "a8b62a0e-4f46-44ed-a4ae-16368e84c5ae", MountPoints: []string{`C:\`}},
				{VolumeName: `\\?\Volume{4f647ee6-af4e-461e-b3e8-efe8ce522ce6}\`, GUID: "4f647ee6-af4e-461e-b3e8-efe8ce522ce6", MountPoints: []string{}, NoMountPoints: true, Status: "NO MOUNT POINTS"},
				{VolumeName: `\\?\Volume{fd37600c-4440-11ea-bf0e-806e6f6e6963}\`, GUID: "fd37600c-4440-11ea-bf0e-806e6f6e6963", MountPoints: []string{`F:\`}},
			},
		},
		{
			file: "other/mountvol_ja-01_jpwinsup-D-vs-P.txt",
			want: []MountvolVolume{
				{VolumeName: `\\?\Volume{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}\`, MountPoints: []string{}, NoMountPoints: true, Status: "マウント ポイントなし"},
				{VolumeName: `\\?\Volume{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}\`, MountPoints: []string{}, NotMountable: true, Status: "ボリューム マウント ポイントが作成されるまでマウントできません"},
			},
			nWarn: 3, // two redacted names, one duplicate
		},
		{
			// The Microsoft Docs example has 11-digit last GUID groups.
			file: "other/mountvol_en-01_msdocs-avd-msix-sample.txt",
			want: []MountvolVolume{
				{VolumeName: `\\?\Volume{a12b3456-0000-0000-0000-10000000000}\`, MountPoints: []string{}, NoMountPoints: true, Status: "NO MOUNT POINTS"},
				{VolumeName: `\\?\Volume{c78d9012-0000-0000-0000-20000000000}\`, MountPoints: []string{`E:\`}},
				{VolumeName: `\\?\Volume{d34e5678-0000-0000-0000-30000000000}\`, MountPoints: []string{`C:\`}},
			},
			nWarn: 3,
		},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			got, err := ParseMountvol(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Volumes); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if len(got.Warnings) != tt.nWarn {
				t.Errorf("warnings = %q, want %d", got.Warnings, tt.nWarn)
			}
		})
	}
	help, err := ParseMountvol(readInput(t, "synth-mountvol-with-help-text-crlf.txt"))
	if err != nil || len(help.Volumes) != 4 || len(help.Warnings) != 0 {
		t.Fatalf("help text: %v %+v", err, help)
	}
	if mp := help.Volumes[1].MountPoints; len(mp) != 2 || mp[1] != `C:\Mount\Data\` {
		t.Errorf("folder mount point = %q", mp)
	}
}

func TestParseDispatch(t *testing.T) {
	if diff := cmp.Diff([]string{"vss-writers", "shadowstorage", "wbadmin-versions", "wbsummary", "usn-journal", "mountvol"}, Kinds); diff != "" {
		t.Errorf("Kinds (-want +got):\n%s", diff)
	}
	text := readSample(t, "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt")
	v, err := Parse(KindVSSWriters, text)
	direct, _ := ParseVSSWriters(text)
	if err != nil || !cmp.Equal(v, any(direct)) {
		t.Errorf("Parse(vss-writers) = %v, %v", v, err)
	}
	v, err = Parse("nope", text)
	if err == nil || v != nil || errors.Is(err, ErrNotThisOutput) || !strings.Contains(err.Error(), "vss-writers") {
		t.Errorf("unknown kind: %v, %v", v, err)
	}
	v, err = Parse(KindMountvol, text)
	if v != nil || !errors.Is(err, ErrNotThisOutput) {
		t.Errorf("Parse on wrong text: %v, %v", v, err)
	}
	// Every parser's result, even on rejection, marshals without null.
	for _, k := range Kinds {
		r, perr := parseAny(k, "")
		b, err := json.Marshal(r)
		if perr == nil || err != nil || strings.Contains(string(b), "null") {
			t.Errorf("%s on empty input: %s, %v, %v", k, b, perr, err)
		}
	}
}

// parseAny calls a parser directly and returns its result even on error.
func parseAny(kind, text string) (any, error) {
	switch kind {
	case KindVSSWriters:
		return ParseVSSWriters(text)
	case KindShadowStorage:
		return ParseShadowStorage(text)
	case KindWBAdminVersions:
		return ParseWBAdminVersions(text)
	case KindWBSummary:
		return ParseWBSummary(text)
	case KindUSNJournal:
		return ParseUSNJournal(text)
	case KindMountvol:
		return ParseMountvol(text)
	}
	panic("unknown kind " + kind)
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&NotThisOutputError{Kind: "mountvol", Reason: "no volume name lines"}, "parse mountvol: no volume name lines"},
		{&VSSAdminError{Code: "0x8000FFFF", Message: "0x8000FFFF"}, "vssadmin reported error 0x8000FFFF"},
		{&VSSAdminError{Code: "0x80042302", Message: "A component failed."}, "vssadmin reported error 0x80042302: A component failed."},
		{&VSSAdminError{Message: "Invalid command."}, "vssadmin reported an error: Invalid command."},
		{&CommandError{Command: "fsutil", Message: "Access is denied."}, "fsutil reported an error: Access is denied."},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		wrapped := fmt.Errorf("outer: %w", tt.err)
		if errors.Is(wrapped, ErrNotThisOutput) == errors.Is(wrapped, ErrCommandFailed) {
			t.Errorf("%T must match exactly one sentinel", tt.err)
		}
	}
}

func TestPrepare(t *testing.T) {
	d := prepare("\ufeffC:¥Windows¥system32>vssadmin list writers\r\r\n" +
		"2024-03-15 11:16:38 [INFO] vssadmin 1.1 - x\r\n" +
		"\x1b[32m   Writer Id: {ab\x1b[0m\n" +
		"cd}\n" +
		"[2024-03-15T11:16:38.5+09:00] WARN: State: [1] Stable   \t\n")
	var got []string
	for _, l := range d.lines {
		got = append(got, fmt.Sprintf("%d|%d|%s", l.no, l.role, l.text))
	}
	want := []string{
		fmt.Sprintf("1|%d|C:\\Windows\\system32>vssadmin list writers", rolePrompt),
		fmt.Sprintf("2|%d|vssadmin 1.1 - x", roleBanner),
		fmt.Sprintf("3|%d|   Writer Id: {abcd}", roleContent),
		fmt.Sprintf("5|%d|State: [1] Stable", roleContent),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vssadmin list writers"}, d.commands); diff != "" || !d.banners["vssadmin"] {
		t.Errorf("commands/banners: %s %v", diff, d.banners)
	}
}

func TestSplitField(t *testing.T) {
	tests := []struct{ in, label, value string }{
		{"State: [1] Stable", "State", "[1] Stable"},
		{"Nom du rédacteur\u00a0: 'x'", "Nom du rédacteur", "'x'"},
		{"状態：[1] 安定", "状態", "[1] 安定"},
		{"Backup time: 6/30/2026 12:26 PM", "Backup time", "6/30/2026 12:26 PM"},
		{"DetailedMessage                 :", "DetailedMessage", ""},
		{`C:\>dir`, "", ""},
		{"Version identifier: 06/30/2026-19:26", "Version identifier", "06/30/2026-19:26"},
		{": value", "", ""},
	}
	for _, tt := range tests {
		l, v, _ := splitField(tt.in)
		if l != tt.label || v != tt.value {
			t.Errorf("splitField(%q) = %q, %q; want %q, %q", tt.in, l, v, tt.label, tt.value)
		}
	}
}
