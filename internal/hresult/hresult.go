// Package hresult owns Windows error codes (HRESULTs) as wsbbot sees them:
// recognising them in free text that on-call engineers paste into chat
// (hex, bare hex, unsigned and signed decimal, full-width forms, codes inside
// log lines and Japanese sentences), canonicalising them to "0x" + 8
// upper-case hex digits, and naming the family a code belongs to.
//
// It knows nothing about what an individual code means; the error-code
// catalogue maps a canonical Code to its name, causes and runbooks.
package hresult

import (
	"fmt"
	"strings"
)

// Code is a 32-bit HRESULT such as 0x800423F4.
type Code uint32

// String returns the canonical form: "0x" followed by 8 upper-case hex
// digits, e.g. "0x800423F4".
func (c Code) String() string {
	return fmt.Sprintf("0x%08X", uint32(c))
}

// Unsigned returns the code as printed by Get-WBSummary and Backup events
// 517/521 (e.g. 2155348249).
func (c Code) Unsigned() uint32 { return uint32(c) }

// Signed returns the code as printed in event XML HResult attributes
// (two's complement, e.g. -2139619047).
func (c Code) Signed() int32 { return int32(c) }

// MarshalText returns the canonical form (see String).
func (c Code) MarshalText() ([]byte, error) {
	return []byte(c.String()), nil
}

// UnmarshalText accepts anything Parse accepts.
func (c *Code) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Family groups codes by where they come from, which tells the bot which
// runbooks are likely to apply.
type Family string

// Families known to wsbbot.
const (
	// FamilyVSS is the Volume Shadow Copy Service range 0x80042300..0x800424FF
	// (VSS_E_BAD_STATE 0x80042301 .. VSS_E_WRITER_STATUS_NOT_AVAILABLE 0x80042409).
	FamilyVSS Family = "vss"
	// FamilyWSB is Windows Server Backup, 0x8078xxxx.
	FamilyWSB Family = "wsb"
	// FamilyWin32 is a Win32 error wrapped by HRESULT_FROM_WIN32, 0x8007xxxx.
	FamilyWin32 Family = "win32"
	// FamilyCOM is a generic COM/OLE error: 0x8000xxxx, 0x8001xxxx and the
	// rest of FACILITY_ITF 0x8004xxxx outside the VSS range (for example
	// REGDB_E_CLASSNOTREG 0x80040154 and CO_E_OBJNOTREG 0x800401FB, which the
	// error catalogue lists as COM).
	FamilyCOM Family = "com"
	// FamilyWin7Backup is the Windows 7 client backup (sdclt), 0x8100xxxx.
	FamilyWin7Backup Family = "win7-backup"
	// FamilyBugcheck is a stop code 0x00000001..0x0000FFFF such as
	// 0x0000007B INACCESSIBLE_BOOT_DEVICE. 0x00000000 is not a stop code
	// (see FamilySuccess).
	FamilyBugcheck Family = "bugcheck"
	// FamilyVHD is the virtual hard disk range 0xC03Axxxx (FACILITY_VHD,
	// e.g. ERROR_VHD_FORMAT_UNSUPPORTED_VERSION 0xC03A0005), met when
	// Windows Server Backup mounts or writes its VHD/VHDX files.
	FamilyVHD Family = "vhd"
	// FamilySuccess is 0x00000000 alone: S_OK, ERROR_SUCCESS, "The
	// operation completed successfully." It is not an error, and wsbbot
	// reports it as a success.
	FamilySuccess Family = "success"
	// FamilyOther is everything else.
	FamilyOther Family = "other"
)

// Family reports the family c belongs to.
func (c Code) Family() Family {
	v := uint32(c)
	switch hi := v >> 16; {
	case hi == 0x8004:
		if lo := v & 0xFFFF; lo >= 0x2300 && lo <= 0x24FF {
			return FamilyVSS
		}
		return FamilyCOM
	case hi == 0x8078:
		return FamilyWSB
	case hi == 0x8007:
		return FamilyWin32
	case hi == 0x8000, hi == 0x8001:
		return FamilyCOM
	case hi == 0x8100:
		return FamilyWin7Backup
	case hi == 0xC03A:
		return FamilyVHD
	case v == 0:
		return FamilySuccess
	case hi == 0:
		return FamilyBugcheck
	default:
		return FamilyOther
	}
}

// Describe returns a short human name of the family in English or Japanese.
// lang is a language tag; "ja" and any "ja-..."/"ja_..." tag select
// Japanese, anything else English. An unknown family describes itself by
// its raw value.
func (f Family) Describe(lang string) string {
	ja := isJapanese(lang)
	pick := func(en, jp string) string {
		if ja {
			return jp
		}
		return en
	}
	switch f {
	case FamilyVSS:
		return pick("Volume Shadow Copy (VSS)", "ボリューム シャドウ コピー (VSS)")
	case FamilyWSB:
		return pick("Windows Server Backup (WSB)", "Windows Server バックアップ (WSB)")
	case FamilyWin32:
		return pick("Win32 error wrapped as HRESULT", "HRESULT に変換された Win32 エラー")
	case FamilyCOM:
		return pick("COM / OLE error", "COM / OLE エラー")
	case FamilyWin7Backup:
		return pick("Windows 7 Backup and Restore (client backup, not WSB)",
			"Windows 7 のバックアップと復元 (クライアント用、WSB ではない)")
	case FamilyBugcheck:
		return pick("Stop error (bug check) code", "STOP エラー (バグチェック) コード")
	case FamilyVHD:
		return pick("Virtual hard disk (VHD/VHDX) error", "仮想ハード ディスク (VHD/VHDX) のエラー")
	case FamilySuccess:
		return pick("Success (not an error)", "成功 (エラーではない)")
	case FamilyOther:
		return pick("Other HRESULT", "その他の HRESULT")
	default:
		return string(f)
	}
}

func isJapanese(lang string) bool {
	l := strings.ToLower(strings.TrimSpace(lang))
	return l == "ja" || strings.HasPrefix(l, "ja-") || strings.HasPrefix(l, "ja_")
}
