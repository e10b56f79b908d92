// Package winout owns the parsing of Windows command output that wsbbot
// reads from servers: `vssadmin list writers`, `vssadmin list shadowstorage`,
// `wbadmin get versions`, `Get-WBSummary`, `fsutil usn queryjournal X:` and
// `mountvol`.
//
// Every parser is a pure function of the text (no I/O, no global state) and
// runs in time linear in the input. The text is expected to be decoded to
// UTF-8 already (see internal/textdecode); beyond that the parsers accept
// what real captures look like:
//
//   - CRLF, CR or LF line ends, a UTF-8 byte order mark, trailing spaces,
//     blank lines between fields, missing or different indentation;
//   - the yen sign ¥ (U+00A5), the won sign ₩ (U+20A9) and the full-width
//     reverse solidus ＼ (U+FF3C) that CP932/CP949 renderings show instead
//     of a backslash; they are turned into "\" everywhere in the text;
//   - banners and copyright lines, echoed prompts such as
//     `C:\Windows\system32>vssadmin list writers` or `PS C:\> ...`;
//   - lines behind a log prefix: a timestamp with an optional level
//     (`2024-03-15 11:16:38 [INFO] `), or a host prefix (`fs01: `,
//     `[fs01] `) that most lines share; ANSI colour sequences are dropped;
//   - "# ..." comment lines such as the "# source:" line of saved captures.
//
// Output arrives in English, Japanese, French and languages wsbbot has no
// table for, so the parsers rely on structure (quotes, `{guid}`, `[N]`,
// `Label : value` shapes, hex and drive-letter shapes, field order) and use
// label words only as hints. Anything doubtful is reported in the result's
// Warnings rather than guessed silently.
//
// A parser returns a *NotThisOutputError when the text is not that kind of
// output, a *VSSAdminError when vssadmin itself reported a failure instead
// of a listing, and a *CommandError when fsutil or wbadmin did. Parse
// dispatches on a kind name from Kinds for the `wsbbot parse KIND` command.
package winout
