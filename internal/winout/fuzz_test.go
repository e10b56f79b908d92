package winout

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
)

var (
	reCanonHR   = regexp.MustCompile(`^0x[0-9A-F]{8}$`)
	reLowerGUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// seedAll adds every sample and synthetic input, raw and without the
// source line, plus a few edge cases.
func seedAll(f *testing.F) {
	for _, in := range loadInputs(f) {
		f.Add(in.text)
		if in.raw != in.text {
			f.Add(in.raw)
		}
	}
	for _, s := range []string{"", "\ufeff", "\r\r\n", "{", "a: '", "x: [", `\\?\Volume{`, "Error:", "0x", "¥¥?¥Volume{"} {
		f.Add(s)
	}
}

// checkCommon asserts the invariants every parser keeps: no panic (the
// caller got here), a typed error if any, a result that marshals, and no
// null anywhere in it (lists and maps are never nil).
func checkCommon(t *testing.T, v any, err error) {
	t.Helper()
	if err != nil {
		var nt *NotThisOutputError
		var ve *VSSAdminError
		var ce *CommandError
		switch {
		case errors.As(err, &nt):
			if nt.Reason == "" || !errors.Is(err, ErrNotThisOutput) {
				t.Fatalf("bad NotThisOutputError %+v", nt)
			}
		case errors.As(err, &ve):
			if ve.Code != "" && !reCanonHR.MatchString(ve.Code) {
				t.Fatalf("VSSAdminError code %q not canonical", ve.Code)
			}
		case errors.As(err, &ce):
			if ce.Code != "" && !reCanonHR.MatchString(ce.Code) {
				t.Fatalf("CommandError code %q not canonical", ce.Code)
			}
		default:
			t.Fatalf("untyped error %v", err)
		}
	}
	b, merr := json.Marshal(v)
	if merr != nil {
		t.Fatalf("marshal: %v", merr)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if path := findNull(tree, "$"); path != "" {
		t.Fatalf("null at %s in %s", path, b)
	}
}

func findNull(v any, path string) string {
	switch t := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, x := range t {
			if p := findNull(x, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, x := range t {
			if p := findNull(x, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}

func checkGUID(t *testing.T, what, g string) {
	t.Helper()
	if g != "" && !reLowerGUID.MatchString(g) {
		t.Fatalf("%s %q is not a lower-case GUID", what, g)
	}
}

func FuzzParseVSSWriters(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseVSSWriters(text)
		checkCommon(t, got, err)
		if err != nil && len(got.Writers) != 0 {
			t.Fatalf("writers returned with error %v", err)
		}
		for _, w := range got.Writers {
			if w.Class != ClassForState(w.State) {
				t.Fatalf("writer %+v: class disagrees with state", w)
			}
			if w.State < -1 {
				t.Fatalf("writer %+v: state below -1", w)
			}
			checkGUID(t, "writer id", w.WriterID)
			checkGUID(t, "instance id", w.InstanceID)
		}
		for _, w := range got.Failed() {
			if w.Class != ClassFailed {
				t.Fatalf("Failed() returned %+v", w)
			}
		}
		if len(got.NotStable())+countClass(got.Writers, ClassStable) != len(got.Writers) {
			t.Fatalf("NotStable() inconsistent")
		}
	})
}

func countClass(ws []Writer, c string) int {
	n := 0
	for _, w := range ws {
		if w.Class == c {
			n++
		}
	}
	return n
}

func FuzzParseShadowStorage(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseShadowStorage(text)
		checkCommon(t, got, err)
		for _, a := range got.Associations {
			if a.MaxUnbounded != (a.MaxBytes == -1) {
				t.Fatalf("unbounded %v but max %d", a.MaxUnbounded, a.MaxBytes)
			}
			if a.UsedBytes < 0 || a.AllocatedBytes < 0 || a.MaxBytes < -1 {
				t.Fatalf("negative size in %+v", a)
			}
			for _, v := range []VolumeRef{a.ForVolume, a.StorageVolume} {
				checkGUID(t, "volume guid", v.GUID)
				if v.Path != "" && !strings.HasPrefix(strings.ToLower(v.Path), `\\?\volume{`) {
					t.Fatalf("volume path %q", v.Path)
				}
			}
		}
	})
}

func FuzzParseWBAdminVersions(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseWBAdminVersions(text)
		checkCommon(t, got, err)
		for _, v := range got.Versions {
			if !reVersionID().MatchString(v.VersionID) {
				t.Fatalf("version id %q", v.VersionID)
			}
			checkGUID(t, "snapshot id", v.SnapshotID)
			for _, c := range v.CanRecover {
				if c == "" || strings.TrimSpace(c) != c {
					t.Fatalf("can-recover item %q", c)
				}
			}
		}
	})
}

func FuzzParseWBSummary(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseWBSummary(text)
		checkCommon(t, got, err)
		for _, h := range []string{got.LastBackupResultHR, got.LastBackupResultDetailedHR} {
			if h != "" && !reCanonHR.MatchString(h) {
				t.Fatalf("HR %q not canonical", h)
			}
		}
		if got.NumberOfVersions < 0 {
			t.Fatalf("negative versions")
		}
		if err == nil && len(got.Properties) == 0 {
			t.Fatalf("accepted without properties")
		}
	})
}

func FuzzParseUSNJournal(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseUSNJournal(text)
		checkCommon(t, got, err)
		if err == nil && !got.Active {
			zero := USNJournal{Message: got.Message, Warnings: got.Warnings}
			if got.Message == "" || !jsonEqual(t, zero, got) {
				t.Fatalf("inactive journal with data: %+v", got)
			}
		}
		if err != nil && got.Active {
			t.Fatalf("active with error %v", err)
		}
	})
}

func jsonEqual(t *testing.T, a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func FuzzParseMountvol(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParseMountvol(text)
		checkCommon(t, got, err)
		if err == nil && len(got.Volumes) == 0 {
			t.Fatalf("accepted without volumes")
		}
		for _, v := range got.Volumes {
			if !strings.HasPrefix(strings.ToLower(v.VolumeName), `\\?\volume{`) {
				t.Fatalf("volume name %q", v.VolumeName)
			}
			checkGUID(t, "guid", v.GUID)
			for _, m := range v.MountPoints {
				if len(m) < 3 || m[1] != ':' || m[2] != '\\' {
					t.Fatalf("mount point %q", m)
				}
			}
			if strings.ContainsRune(v.VolumeName, '¥') {
				t.Fatalf("yen sign left in %q", v.VolumeName)
			}
		}
	})
}

// FuzzParse checks the dispatcher agrees with the parsers.
func FuzzParse(f *testing.F) {
	seedAll(f)
	f.Fuzz(func(t *testing.T, text string) {
		for _, k := range Kinds {
			v, err := Parse(k, text)
			if (err == nil) == (v == nil) {
				t.Fatalf("%s: value %v with error %v", k, v, err)
			}
			if err == nil {
				checkCommon(t, v, nil)
			}
		}
	})
}
