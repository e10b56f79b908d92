package config

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that is written and read as text ("30s",
// "5m", "1h30m") in YAML, JSON and the environment, never as nanoseconds.
// A bare number is accepted only when it is 0.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.String without the trailing zero
// units: "30s", "5m", "1h", "1h30m", "1.5s", "0s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration parses a duration with units as time.ParseDuration does
// ("30s", "5m", "1h30m"); "0" is also accepted.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (use a number with a unit: 30s, 5m, 1h)", s)
	}
	return Duration(d), nil
}

// ByteSize is a number of bytes. It is read from a plain integer (1048576)
// or a number with a unit: B; KB, MB, GB, TB (powers of 1000); KiB, MiB,
// GiB, TiB (powers of 1024). Units are case-insensitive and a decimal
// fraction is allowed when the result is a whole number of bytes ("1.5MiB").
// It prints with the largest unit that divides it exactly ("1MiB", "2MB"),
// else in bytes ("1500B").
type ByteSize int64

// Byte size units.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
	KB  ByteSize = 1e3
	MB  ByteSize = 1e6
	GB  ByteSize = 1e9
	TB  ByteSize = 1e12
)

var byteUnits = map[string]ByteSize{
	"b": 1, "kb": KB, "mb": MB, "gb": GB, "tb": TB,
	"kib": KiB, "mib": MiB, "gib": GiB, "tib": TiB,
}

// printUnits is tried in order by String: binary first, then decimal.
var printUnits = []struct {
	name string
	size ByteSize
}{
	{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
	{"TB", TB}, {"GB", GB}, {"MB", MB}, {"KB", KB},
}

// String implements fmt.Stringer.
func (b ByteSize) String() string {
	if b > 0 {
		for _, u := range printUnits {
			if b%u.size == 0 {
				return strconv.FormatInt(int64(b/u.size), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// errByteSize is the hint shared by every ParseByteSize failure.
var errByteSize = errors.New("use a whole number of bytes or a number with a unit: 512KiB, 1MiB, 2MB")

// ParseByteSize parses "1048576", "1MiB", "512 KiB", "2MB", "1.5GiB".
func ParseByteSize(s string) (ByteSize, error) {
	bad := func() (ByteSize, error) { return 0, fmt.Errorf("%q is not a byte size: %w", s, errByteSize) }
	t := strings.TrimSpace(s)
	if t == "" || len(t) > 64 {
		return bad()
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult := ByteSize(1)
	if unit != "" {
		m, ok := byteUnits[unit]
		if !ok {
			return bad()
		}
		mult = m
	}
	whole, frac, hasDot := strings.Cut(num, ".")
	if whole == "" || strings.Contains(frac, ".") || hasDot && frac == "" {
		return bad()
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return bad()
	}
	r.Mul(r, new(big.Rat).SetInt64(int64(mult)))
	if !r.IsInt() {
		return 0, fmt.Errorf("%q is not a whole number of bytes: %w", s, errByteSize)
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return ByteSize(n.Int64()), nil
}
