package config

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in      string
		want    ByteSize
		wantErr string
	}{
		{in: "1048576", want: MiB},
		{in: "0", want: 0},
		{in: "1MiB", want: MiB},
		{in: "512KiB", want: 512 * KiB},
		{in: "2MB", want: 2_000_000},
		{in: "2mb", want: 2_000_000},
		{in: "1 GiB", want: GiB},
		{in: " 3GB ", want: 3_000_000_000},
		{in: "1KB", want: 1000},
		{in: "1kib", want: 1024},
		{in: "10B", want: 10},
		{in: "1.5MiB", want: 1572864},
		{in: "2TiB", want: 2 * TiB},
		{in: "8388607TiB", want: 8388607 * TiB},
		{in: "8388608TiB", wantErr: "too large"},
		{in: "0.5B", wantErr: "not a whole number of bytes"},
		{in: "1.0000001KiB", wantErr: "not a whole number of bytes"},
		{in: "", wantErr: "is not a byte size"},
		{in: "MiB", wantErr: "is not a byte size"},
		{in: "-1MiB", wantErr: "is not a byte size"},
		{in: "1M", wantErr: "is not a byte size"},
		{in: "1.MiB", wantErr: "is not a byte size"},
		{in: ".5MiB", wantErr: "is not a byte size"},
		{in: "1.2.3MiB", wantErr: "is not a byte size"},
		{in: "1e6", wantErr: "is not a byte size"},
		{in: "1 MiB extra", wantErr: "is not a byte size"},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseByteSize(%q) = %d, %v; want error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		in   ByteSize
		want string
	}{
		{MiB, "1MiB"},
		{512 * KiB, "512KiB"},
		{1536 * KiB, "1536KiB"},
		{2 * MB, "2MB"},
		{1000, "1KB"},
		{1024, "1KiB"},
		{1500, "1500B"},
		{1, "1B"},
		{0, "0B"},
		{3 * TiB, "3TiB"},
		{-5, "-5B"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
		if tt.in < 0 {
			continue
		}
		back, err := ParseByteSize(tt.in.String())
		if err != nil || back != tt.in {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in.String(), back, err, tt.in)
		}
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{30 * time.Second, "30s"},
		{5 * time.Minute, "5m"},
		{30 * time.Minute, "30m"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		d := Duration(tt.in)
		if got := d.String(); got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.in, got, tt.want)
		}
		var back Duration
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", d.String(), back, err, d)
		}
	}
	if _, err := ParseDuration("5 parsecs"); err == nil || !strings.Contains(err.Error(), `"5 parsecs" is not a duration`) {
		t.Errorf("ParseDuration(5 parsecs) error = %v", err)
	}
}

func TestUnitsJSONRoundTrip(t *testing.T) {
	in := struct {
		D Duration `json:"d"`
		B ByteSize `json:"b"`
	}{Duration(90 * time.Second), 3 * MiB}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"1m30s","b":"3MiB"}` {
		t.Errorf("json = %s", b)
	}
	out := in
	out.D, out.B = 0, 0
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Errorf("round trip = %+v, %v; want %+v", out, err, in)
	}
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"1MiB", "512KiB", "2MB", "1048576", "1.5GiB", "0", " 7 tb", "x", "9999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d, negative", s, b)
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("ParseByteSize(%q) = %d prints %q, which parses to %d, %v", s, b, b.String(), back, err)
		}
	})
}
