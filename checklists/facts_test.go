package checklists

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ip(n int) *int { return &n }

// healthyFacts is what CollectScript returned on the lab's healthy host
// (testdata/healthy-facts.json, captured over WinRM).
func healthyFacts() Facts {
	return Facts{
		Policy: true, BMR: true, SystemState: true,
		Targets: []BackupTarget{
			{Label: "HEALTHY 2026_05_29 04:55 DISK_01", Path: `\\?\Volume{6456a96f-2012-5ce8-9d02-7df014fbd306}`, Type: "Disk", DiskNumber: ip(2)},
			{Label: `\\nas01\backup`, Path: `\\nas01\backup`, Type: "Network"},
		},
		Sources: []SourceVolume{
			{VolumeID: "{44194c95-ada3-5800-9551-befc87ece34a}"},
			{MountPath: "C:", VolumeID: "{d39551b0-ba2f-5b42-95a3-c59a86baeab3}"},
			{MountPath: "D:", VolumeID: "{26e707e1-08ce-56b8-88b8-9cf2bbae98c7}"},
		},
		Partitions: []Partition{
			{DiskNumber: 0, AccessPaths: []string{`\\?\Volume{44194c95-ada3-5800-9551-befc87ece34a}\`}},
			{DiskNumber: 0, AccessPaths: []string{`C:\`, `\\?\Volume{d39551b0-ba2f-5b42-95a3-c59a86baeab3}\`}},
			{DiskNumber: 0, AccessPaths: []string{`\\?\Volume{0c041cdd-3fae-54c2-8c9e-3a94ebdb8b13}\`}},
			{DiskNumber: 1, AccessPaths: []string{`D:\`, `\\?\Volume{26e707e1-08ce-56b8-88b8-9cf2bbae98c7}\`}},
			{DiskNumber: 2, AccessPaths: []string{`E:\`, `\\?\Volume{6456a96f-2012-5ce8-9d02-7df014fbd306}\`}},
		},
		Defender: Defender{Present: true, Enabled: true, RealTime: true,
			ExclusionPath:    []string{`E:\`, `\\nas01\backup`, `C:\Windows\Logs\WindowsServerBackup`},
			ExclusionProcess: []string{`C:\Windows\System32\wbengine.exe`, `C:\Windows\System32\vssvc.exe`}},
		Restores: []time.Time{time.UnixMilli(1790244942000).UTC()},
	}
}

func TestParseFactsLabOutput(t *testing.T) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFacts("\r\n" + string(b) + "\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(healthyFacts(), got); diff != "" {
		t.Errorf("ParseFacts (-want +got):\n%s", diff)
	}
}

func TestParseFactsShapes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Facts
		wantErr bool
	}{
		{
			name: "no policy, no defender, no events",
			in:   `{"policy":false,"bmr":null,"systemState":null,"targets":[],"sources":[],"partitions":[],"defender":null,"defenderPreference":null,"restores":[]}`,
			want: Facts{},
		},
		{
			name: "single items instead of arrays, ISO and wrapped dates",
			in: `{"policy":true,"bmr":false,"targets":{"Label":"Backup","Path":"E:","TargetType":"Volume","DiskNumber":null,"VolumeId":"{1DCEE12B-3C8B-5921-AE62-B255E54F1E75}"},` +
				`"partitions":{"DiskNumber":1,"AccessPaths":"E:\\"},"restores":[{"Time":"2025-01-02T03:04:05Z"},{"Time":{"value":"\/Date(0)\/","DisplayHint":2}}]}`,
			want: Facts{Policy: true,
				Targets:    []BackupTarget{{Label: "Backup", Path: "E:", Type: "Volume", VolumeID: "{1DCEE12B-3C8B-5921-AE62-B255E54F1E75}"}},
				Partitions: []Partition{{DiskNumber: 1, AccessPaths: []string{`E:\`}}},
				Restores:   []time.Time{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), time.Unix(0, 0).UTC()}},
		},
		{
			name: "exclusions hidden from a non-administrator",
			in:   `{"policy":true,"defender":{"AMServiceEnabled":true,"AntivirusEnabled":true,"RealTimeProtectionEnabled":false},"defenderPreference":{"ExclusionPath":["N/A: Must be an administrator to view exclusions"],"ExclusionProcess":null}}`,
			want: Facts{Policy: true, Defender: Defender{Present: true, Enabled: true, Hidden: true}},
		},
		{name: "no JSON", in: "Get-WBPolicy : The term 'Get-WBPolicy' is not recognized", wantErr: true},
		{name: "bad date", in: `{"restores":[{"Time":"yesterday"}]}`, wantErr: true},
		{name: "truncated", in: `{"policy":true,"targets":[`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFacts(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseFacts err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.name == "no JSON" && !errors.Is(err, ErrNoFacts) {
				t.Errorf("err = %v, want ErrNoFacts", err)
			}
			if diff := cmp.Diff(tt.want, got); err == nil && diff != "" {
				t.Errorf("ParseFacts (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseFacts(f *testing.F) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(`{"targets":{"DiskNumber":1e400}}`)
	f.Add(`{"restores":{"Time":{"value":{"value":"\/Date(1)\/"}}}}`)
	f.Fuzz(func(t *testing.T, s string) {
		facts, err := ParseFacts(s)
		if err != nil {
			return
		}
		// Whatever parses can be judged without panicking.
		in := Input{Facts: facts, Now: time.Unix(1790244942, 0)}
		for _, fn := range ruleLogic() {
			if v := fn(in); v.status != Pass && v.status != Fail && v.status != Unknown {
				t.Fatalf("status %q", v.status)
			}
		}
	})
}

// FuzzParseFactsArraysFirst: ParseFacts, which reads arrays in one pass
// and any other shape in a second, reads what the any-shape decoding
// alone reads, and fails where it fails, with the same error.
func FuzzParseFactsArraysFirst(f *testing.F) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b))
	f.Add(`{"policy":true,"targets":{"Label":"B","Path":"E:","DiskNumber":2},"partitions":[{"DiskNumber":1,"AccessPaths":"E:\\"}],"restores":{"Time":"2025-01-02T03:04:05Z"}}`)
	f.Add(`{"restores":[{"Time":"yesterday"}],"targets":{"Label":1}}`)
	f.Add(`{"defenderPreference":{"ExclusionPath":"D:\\","ExclusionProcess":[]},"sources":null}`)
	f.Add(`banner {"targets":[{"DiskNumber":1e400}]} trailing`)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFacts(s)
		i := strings.IndexByte(s, '{')
		if i < 0 {
			if err == nil {
				t.Fatal("no JSON object, no error")
			}
			return
		}
		want, wantErr := parseFactsAnyShape(s[i:])
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("ParseFacts error %v, any-shape error %v", err, wantErr)
		}
		if diff := cmp.Diff(want, got); err == nil && diff != "" {
			t.Fatalf("ParseFacts (-any shape +arrays first):\n%s", diff)
		}
	})
}
