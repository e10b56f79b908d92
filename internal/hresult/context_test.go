package hresult

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExtractPastedTexts holds whole texts of the kinds engineers paste
// into chat: event log lines, PowerShell and wbadmin/vssadmin output, event
// XML, Japanese lines and forum posts. Each lists exactly the codes a person
// reading it would look up, so values that only look like codes (flags
// passed to an API, sizes, ids) are missing from want on purpose.
func TestExtractPastedTexts(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []Code
	}{
		// Call arguments beside the real code.
		{"vss CreateFileW flags", `Volume Shadow Copy Service error: Unexpected error CreateFileW(\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy12\Windows\System32\config\SYSTEM,0x80000000,0x00000003,...).  hr = 0x80070001, Incorrect function.`,
			[]Code{0x80070001}},
		{"vss 12289 DeviceIoControl", `Volume Shadow Copy Service error: Unexpected error DeviceIoControl(\\?\Volume{0f0c7b8a-4f0e-11e3-93f0-806e6f6e6963} - 0000000000000100,0x0053c008,0000000000000000,0,0000000000409B60,4096,[0]).  hr = 0x80070001, Incorrect function.`,
			[]Code{0x80070001}},
		{"call arguments with spaces", "CreateFileW(path, 0x80000000, 0x00000003, NULL) failed: hr = 0x80070005",
			[]Code{0x80070005}},
		{"code labelled inside a call", "CVssWriterImpl::OnFreeze(hr = 0x800423F2, timeout 60)", []Code{0x800423F2}},
		{"call result after the call", "CoCreateInstance(CLSID_VSSCoordinator, NULL, CLSCTX_ALL, IID_IVssCoordinator, &p) failed, hr = 0x80040154",
			[]Code{0x80040154}},
		{"nested parentheses", "OpenFile(\\\\nas01\\backup (old)\\WindowsImageBackup, 0x80000000) returned 0x80070035",
			[]Code{0x80070035}},

		// Success.
		{"german success", "Der Vorgang wurde erfolgreich beendet (0x00000000)", []Code{0}},
		{"english success", "The operation completed successfully. (0x00000000)", []Code{0}},
		{"success flag in a call is still an argument", "SetFileAttributesW(x,0x00000000,0x00000080)", nil},

		// Sizes, counts and ids in the WSB decimal range.
		{"Get-Volume size remaining", "DriveLetter   : E\nFileSystem    : NTFS\nHealthStatus  : Healthy\nSizeRemaining : 2155390976\nSize          : 2147614720",
			nil},
		{"size labelled with spaces", "Size Remaining: 2155390976", nil},
		{"free space", "Free Space : 2155390976", nil},
		{"process id", "ProcessId=2147942402", nil},
		{"pid", "PID 2155348249 (wbengine.exe)", nil},
		{"bytes unit", "copied 2155390976 bytes of 4294967295", nil},
		{"offset hex", "read failed at offset 0x807800C5", nil},
		{"flags hex", "Flags: 0x80000000", nil},
		{"count", "ErrorCount : 2155348249", nil},
		{"event data size", `<EventData><Data Name="HRESULT">2155348249</Data><Data Name="Size">2155390976</Data></EventData>`,
			[]Code{0x80780119}},
		{"japanese free space", "空き領域: 2155390976 バイト", nil},
		{"japanese size glued", "サイズ2155390976", nil},

		// Labelled codes, every notation.
		{"Get-WBSummary", "NextBackupTime                  : 2024/03/16 21:00:00\nNumberOfVersions                : 14\nLastSuccessfulBackupTime        : 2024/03/14 21:00:00\nLastSuccessfulBackupTargetPath  : \\\\?\\Volume{2a1b9d3c-0000-0000-0000-100000000000}\nLastBackupTime                  : 2024/03/15 21:00:00\nLastBackupResultHR              : 2155348249\nLastBackupResultDetailedHR      : -2147212513\nCurrentOperationStatus          : NoOperationInProgress",
			[]Code{0x80780119, 0x8004231F}},
		{"event 517", "Backup started at '2024-03-15T12:00:11.123456700Z' failed with following error code '2155348237' (Enumeration of the files failed.). Please rerun backup once issue is resolved.",
			[]Code{0x8078010D}},
		{"backup event 5 XML", `<Execution ProcessID="12504" ThreadID="5760" /><Data Name="HRESULT">0x8078011e</Data><Data Name="DetailedHRESULT">0x80070005</Data><Data Name="ErrorMessage">%%2155348254</Data><Data Name="NumOfVolumes">3</Data><VolumeInfoItem Name="Esp" State="12" HResult="-2139619042" DetailedHResult="-2147024891" DataTransferred="0" TotalSize="2155390976"/>`,
			[]Code{0x8078011E, 0x80070005}},
		{"event 521 WS2008", "Backup started at '{b617be25-fc4c-4392-a0ca-2d909bb93d24}' failed as Volume Shadow copy operation failed for backup volumes with following error code '2155348001'. Please rerun backup once issue is resolved.",
			[]Code{0x80780021}},
		{"event XML volumes info", `<Data Name="HRESULT">-2139619047</Data><VolumeInfo VolumeName="C:" HResult="-2139619047" DetailedHResult="-2147212513" Size="42949672960"/>`,
			[]Code{0x80780119, 0x8004231F}},
		{"xml element", "<HResult>0x80070070</HResult><Size>2155390976</Size>", []Code{0x80070070}},
		{"japanese label", "エラー コード: 0x80780119", []Code{0x80780119}},
		{"japanese brackets", "「エラー コード: 0x80780119」", []Code{0x80780119}},
		{"japanese event 517", "バックアップ操作は次のエラー コード 0x80070012(これ以上ファイルがありません。)のため失敗しました。",
			[]Code{0x80070012}},
		{"japanese wsb detail", "エラーの詳細: 0x80780119 ディスク領域が不足しているため、保存場所にボリュームのシャドウ コピーを作成できません。",
			[]Code{0x80780119}},
		{"vssadmin writer", "Writer name: 'System Writer'\n   Writer Id: {e8132975-6f93-4464-a53e-1050253ae220}\n   Writer Instance Id: {80780119-0000-4464-a53e-1050253ae220}\n   State: [8] Failed\n   Last error: Timed out (0x800423f2)",
			[]Code{0x800423F2}},
		{"vssadmin shadowstorage", "Shadow Copy Storage association\n   For volume: (C:)\\\\?\\Volume{0f0c7b8a-4f0e-11e3-93f0-806e6f6e6963}\\\n   Used Shadow Copy Storage space: 1.95 GB (2%)\n   Maximum Shadow Copy Storage space: UNBOUNDED (100%)\nError: 0x8004230F",
			[]Code{0x8004230F}},
		{"wbadmin restore", "The system image restore failed.\nError details: Incorrect function (0x80070001)", []Code{0x80070001}},
		{"wbadmin samba", "The backup operation stopped before completing.\nDetailed error: The version does not support this version of the file format. (0xC03A0005)",
			[]Code{0xC03A0005}},
		{"hyper-v vmms", "Could not create backup checkpoint for virtual machine 'SV01': The system cannot find the file specified. (0x80070002). (Virtual machine ID 1B2F4C3D-0000-4000-8000-000000000001)",
			[]Code{0x80070002}},
		{"forum post", "Hi all, WSB fails every night with 0x807800C5. In the event log I see error code '2155348165'. The NAS still has 2155390976 bytes free, Get-Volume says SizeRemaining : 2155390976. Any idea?",
			[]Code{0x807800C5}},
		{"forum bare code", "getting 800423f4 again after the KB install, also saw 80070005 once", []Code{0x800423F4, 0x80070005}},
		{"status label", "Status: 0xC03A0005", []Code{0xC03A0005}},
		{"code label beats unit", "error code 2155348249 bytes", []Code{0x80780119}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Extract(tt.text)); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestContextRole(t *testing.T) {
	tests := []struct {
		name, before, token, after string
		want                       role
	}{
		{"nothing", "", "0x80780119", "", roleUnlabelled},
		{"hr", "hr = ", "0x80780119", "", roleCode},
		{"HRESULT colon", "HRESULT:", "0x80780119", "", roleCode},
		{"error code quoted", "error code '", "2155348249", "'", roleCode},
		{"LastBackupResultHR", "LastBackupResultHR : ", "2155348249", "", roleCode},
		{"DetailedHResult attribute", `DetailedHResult="`, "-2147212513", `"`, roleCode},
		{"Error:", "Error: ", "0x8000FFFF", "", roleCode},
		{"エラー コード", "エラー コード: ", "0x80780119", "", roleCode},
		{"glued エラー", "バックアップはエラー", "0x80780119", "", roleCode},
		{"full-width colon", "ＨＲ：", "0x80780119", "", roleCode},
		{"SizeRemaining", "SizeRemaining : ", "2155390976", "", roleValue},
		{"Size XML", `Size="`, "2155390976", `"`, roleValue},
		{"Capacity", "Capacity=", "2155390976", "", roleValue},
		{"Length", "Length ", "0x80000001", "", roleValue},
		{"Count", "Count: ", "2155348249", "", roleValue},
		{"Process ID", "Process ID: ", "2155348249", "", roleValue},
		{"snake case", "bytes_free=", "2155390976", "", roleValue},
		{"Data Name Offset", `<Data Name="Offset">`, "2155390976", "</Data>", roleValue},
		{"Data Name HRESULT", `<Data Name="HRESULT">`, "2155348249", "</Data>", roleCode},
		{"unit MB", "", "2155390976", " MB", roleValue},
		{"unit glued japanese", "", "2155390976", "バイト", roleValue},
		{"not a unit", "", "0x80780119", " by the way", roleUnlabelled},
		{"call argument", "CreateFileW(x,", "0x80000000", ",3)", roleArgument},
		{"first call argument", "Foo(", "0x80000000", ", 3)", roleArgument},
		{"single argument is a code", "Check(", "0x80070005", ")", roleUnlabelled},
		{"labelled by the call name", "Error(", "0x80070005", ")", roleCode},
		{"space before paren", "Incorrect function (", "0x80070001", ")", roleUnlabelled},
		{"commas outside the parens", "Timed out (", "0x800423f2", "), retrying, again", roleUnlabelled},
		{"closed call before", "Foo(a, b) failed ", "0x80070005", "", roleUnlabelled},
		{"line break ends the call", "Foo(a,\n", "0x80070005", "", roleUnlabelled},
		{"unrelated word", "then ", "0x80780119", "", roleUnlabelled},
		{"message label", "ErrorMessage=%%", "2155348249", "", roleUnlabelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.before + tt.token + tt.after
			start := len(tt.before)
			if got := contextRole(text, start, start+len(tt.token)); got != tt.want {
				t.Errorf("contextRole(%q at %d) = %d, want %d", text, start, got, tt.want)
			}
		})
	}
}

func TestHeadWord(t *testing.T) {
	tests := map[string]string{
		"SizeRemaining":              "Remaining",
		"LastBackupResultHR":         "HR",
		"LastBackupResultDetailedHR": "HR",
		"DetailedHResult":            "Result",
		"HResult":                    "Result",
		"HRESULT":                    "HRESULT",
		"PID":                        "PID",
		"ProcessId":                  "Id",
		"hr":                         "hr",
		"bytes_free":                 "free",
		"Data1":                      "Data",
		"":                           "",
		"_":                          "",
	}
	for in, want := range tests {
		if got := headWord(in); got != want {
			t.Errorf("headWord(%q) = %q, want %q", in, got, want)
		}
	}
}
