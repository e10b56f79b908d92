package checklists

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Status is a finding's outcome.
type Status string

// The statuses.
const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Unknown Status = "unknown"
)

// Rule ids.
const (
	RuleBMR          = "bmr"
	RuleSeparateDisk = "separate-disk"
	Rule321          = "3-2-1"
	RuleAVExclusion  = "av-exclusion"
	RuleRestoreTest  = "restore-test"
)

// RestoreTestMaxAge is how old the last restore test may be (about six
// months, the guide's 最低半年に1回).
const RestoreTestMaxAge = 183 * 24 * time.Hour

// Finding is one rule's outcome on one server.
type Finding struct {
	Target   string        `json:"target"`
	Rule     string        `json:"rule"`
	Status   Status        `json:"status"`
	Evidence runbooks.Text `json:"evidence"`
	Fix      runbooks.Text `json:"fix"`
}

// Declarations are what an operator declares for a server in the
// configuration because the server cannot show it.
type Declarations struct {
	// Copies and Media of the 3-2-1 rule; 0 means not declared.
	Copies, Media int
	// Offsite is nil when not declared.
	Offsite *bool
	// AVProduct names an antivirus product other than Microsoft Defender
	// ("" = none declared).
	AVProduct string
	// AVExclusions says whether AVProduct's exclusions for the backup are
	// set; nil when not declared.
	AVExclusions *bool
	// RestoreTest is the date (YYYY-MM-DD) of the last restore test.
	RestoreTest string
}

// Input is what a rule judges: the server's facts, its declarations, the
// caller's restore-test record and the current time.
type Input struct {
	Facts    Facts
	Declared Declarations
	// RecordedRestoreTest is the last `restore-test done` record (zero if
	// none).
	RecordedRestoreTest time.Time
	Now                 time.Time
}

// verdict is a rule function's result; the checklist adds target, rule id
// and fix.
type verdict struct {
	status   Status
	evidence runbooks.Text
}

type evalFunc func(Input) verdict

// ruleLogic maps rule ids to their Go logic.
func ruleLogic() map[string]evalFunc {
	return map[string]evalFunc{
		RuleBMR:          evalBMR,
		RuleSeparateDisk: evalSeparateDisk,
		Rule321:          eval321,
		RuleAVExclusion:  evalAVExclusion,
		RuleRestoreTest:  evalRestoreTest,
	}
}

func tx(en, ja string) runbooks.Text { return runbooks.Text{EN: en, JA: ja} }

func v(s Status, en, ja string) verdict { return verdict{status: s, evidence: tx(en, ja)} }

// Evaluate judges every rule of the checklist, in order.
func (c *Checklist) Evaluate(target string, in Input) []Finding {
	out := make([]Finding, len(c.Rules))
	for i, r := range c.Rules {
		vd := r.eval(in)
		out[i] = Finding{Target: target, Rule: r.ID, Status: vd.status, Evidence: vd.evidence}
		if vd.status != Pass {
			out[i].Fix = r.Fix
		}
	}
	return out
}

// Unknown returns every rule as unknown with err as evidence (a server
// that could not be reached or read). When err knows its usual fix (remote
// classifies every WinRM failure and explains it), that fix is the
// finding's: the rule's own fix would be a guess until the server answers.
func (c *Checklist) Unknown(target string, err error) []Finding {
	out := make([]Finding, len(c.Rules))
	var x interface{ Explain() string }
	hint := ""
	if errors.As(err, &x) {
		hint = x.Explain()
	}
	for i, r := range c.Rules {
		out[i] = Finding{Target: target, Rule: r.ID, Status: Unknown,
			Evidence: tx("could not collect facts: "+err.Error(), "情報を取得できませんでした: "+err.Error()),
			Fix:      r.Fix}
		if hint != "" {
			out[i].Fix = tx("first make the server answer: "+hint, "まずサーバーに接続できるようにしてください (英語の説明): "+hint)
		}
	}
	return out
}

// evalBMR: bare-metal recovery is part of the WSB policy.
func evalBMR(in Input) verdict {
	f := in.Facts
	switch {
	case !f.Policy:
		return v(Fail, "no Windows Server Backup policy is configured (Get-WBPolicy returned nothing)",
			"Windows Server バックアップのポリシーが設定されていません(Get-WBPolicy の結果なし)")
	case f.BMR:
		return v(Pass, "the backup policy includes bare-metal recovery (BMR: True)",
			"バックアップポリシーにベアメタル回復が含まれています(BMR: True)")
	default:
		return v(Fail, "the backup policy does not include bare-metal recovery (BMR: False)",
			"バックアップポリシーにベアメタル回復が含まれていません(BMR: False)")
	}
}

// evalSeparateDisk: no local backup target shares a physical disk with a
// source volume.
func evalSeparateDisk(in Input) verdict {
	f := in.Facts
	if !f.Policy {
		return v(Unknown, "no backup policy: there is no target to check", "バックアップポリシーがないため、保存先を確認できません")
	}
	if len(f.Targets) == 0 {
		return v(Unknown, "the policy lists no reachable backup target", "ポリシーに確認できる保存先がありません")
	}
	srcDisks := map[int][]string{}
	for _, s := range f.Sources {
		p, ok := f.partitionOf(volumeGUID(s.VolumeID))
		if !ok {
			name := cmpOr(s.MountPath, s.VolumeID)
			return v(Unknown, fmt.Sprintf("cannot tell which disk source volume %s is on", name),
				fmt.Sprintf("バックアップ対象ボリューム %s がどのディスクにあるか判別できません", name))
		}
		srcDisks[p.DiskNumber] = append(srcDisks[p.DiskNumber], cmpOr(s.MountPath, s.VolumeID))
	}
	var ok []string
	for _, t := range f.Targets {
		name := cmpOr(t.Label, t.Path)
		if !t.local() {
			ok = append(ok, fmt.Sprintf("%s (network share)", name))
			continue
		}
		d, found := f.diskOf(t)
		if !found {
			return v(Unknown, fmt.Sprintf("cannot tell which disk backup target %s is on", name),
				fmt.Sprintf("保存先 %s がどのディスクにあるか判別できません", name))
		}
		if vols, clash := srcDisks[d]; clash {
			return v(Fail, fmt.Sprintf("backup target %s is on disk %d, the same physical disk as source volume(s) %s", name, d, strings.Join(vols, ", ")),
				fmt.Sprintf("保存先 %s はディスク %d 上にあり、バックアップ対象 %s と同じ物理ディスクです", name, d, strings.Join(vols, ", ")))
		}
		ok = append(ok, fmt.Sprintf("%s (disk %d)", name, d))
	}
	disks := make([]int, 0, len(srcDisks))
	for d := range srcDisks {
		disks = append(disks, d)
	}
	slices.Sort(disks)
	return v(Pass, fmt.Sprintf("every target is off the source disks %v: %s", disks, strings.Join(ok, "; ")),
		fmt.Sprintf("すべての保存先がバックアップ対象のディスク %v と別です: %s", disks, strings.Join(ok, "; ")))
}

// eval321: three copies, two media, one off-site. The server shows its
// backup targets; declarations say what it cannot show and win over what
// is detected.
func eval321(in Input) verdict {
	f, d := in.Facts, in.Declared
	kinds := map[string]bool{}
	for _, t := range f.Targets {
		if t.local() {
			kinds["local disk"] = true
		} else {
			kinds["network share"] = true
		}
	}
	copies, media := 1+len(f.Targets), len(kinds)
	copiesFrom, mediaFrom := "detected", "detected"
	if d.Copies > 0 {
		copies, copiesFrom = d.Copies, "declared"
	}
	if d.Media > 0 {
		media, mediaFrom = d.Media, "declared"
	}
	off, offFrom := "not declared", "未申告"
	if d.Offsite != nil {
		off, offFrom = fmt.Sprintf("%t (declared)", *d.Offsite), fmt.Sprintf("%t(設定で申告)", *d.Offsite)
	}
	en := fmt.Sprintf("copies %d (%s), media %d (%s), off-site %s; the server shows %d backup target(s)", copies, copiesFrom, media, mediaFrom, off, len(f.Targets))
	ja := fmt.Sprintf("コピー %d(%s)、メディア %d(%s)、遠隔地 %s。サーバー上の保存先は %d 件", copies, jaFrom(copiesFrom), media, jaFrom(mediaFrom), offFrom, len(f.Targets))
	switch {
	case copies < 3 || media < 2 || (d.Offsite != nil && !*d.Offsite):
		return v(Fail, en, ja)
	case d.Offsite == nil:
		return v(Unknown, en+"; declare declared.offsite for this target", ja+"。設定に declared.offsite を記載してください")
	}
	return v(Pass, en, ja)
}

func jaFrom(s string) string {
	if s == "declared" {
		return "設定で申告"
	}
	return "検出"
}

// evalAVExclusion: Microsoft Defender (detected) excludes every backup
// target; another product is declared with its exclusions.
func evalAVExclusion(in Input) verdict {
	f, d := in.Facts, in.Declared
	other := strings.TrimSpace(d.AVProduct)
	if isDefender(other) {
		other = ""
	}
	var parts []verdict
	if f.Defender.Present && f.Defender.Enabled {
		parts = append(parts, defenderVerdict(f))
	}
	if other != "" {
		switch {
		case d.AVExclusions == nil:
			parts = append(parts, v(Unknown, fmt.Sprintf("%s is declared but its exclusions are not (declare declared.av_exclusions)", other),
				fmt.Sprintf("%s が申告されていますが、除外設定の有無が未申告です(declared.av_exclusions を記載してください)", other)))
		case *d.AVExclusions:
			parts = append(parts, v(Pass, fmt.Sprintf("%s exclusions for the backup are declared as set", other),
				fmt.Sprintf("%s のバックアップ除外設定は「設定済み」と申告されています", other)))
		default:
			parts = append(parts, v(Fail, fmt.Sprintf("%s exclusions for the backup are declared as not set", other),
				fmt.Sprintf("%s のバックアップ除外設定は「未設定」と申告されています", other)))
		}
	}
	if len(parts) == 0 {
		return v(Unknown, "no active Microsoft Defender found and no other antivirus declared (declare declared.av_product)",
			"有効な Microsoft Defender がなく、他のウイルス対策ソフトも申告されていません(declared.av_product を記載してください)")
	}
	out := verdict{status: Pass}
	var en, ja []string
	for _, p := range parts {
		switch {
		case p.status == Fail:
			out.status = Fail
		case p.status == Unknown && out.status == Pass:
			out.status = Unknown
		}
		en, ja = append(en, p.evidence.EN), append(ja, p.evidence.JA)
	}
	out.evidence = tx(strings.Join(en, "; "), strings.Join(ja, "。"))
	return out
}

func isDefender(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "defender") || l == "windefend"
}

func defenderVerdict(f Facts) verdict {
	if f.Defender.Hidden {
		return v(Unknown, "Microsoft Defender hides its exclusions from this account (run as an administrator)",
			"Microsoft Defender の除外設定をこのアカウントでは参照できません(管理者で実行してください)")
	}
	if len(f.Targets) == 0 {
		return v(Unknown, "Microsoft Defender is active but the policy shows no backup target to check",
			"Microsoft Defender は有効ですが、確認できる保存先がポリシーにありません")
	}
	var missing, covered []string
	for _, t := range f.Targets {
		name := cmpOr(t.Label, t.Path)
		if ex, ok := excludedBy(f.accessPaths(t), f.Defender.ExclusionPath); ok {
			covered = append(covered, fmt.Sprintf("%s by %s", name, ex))
		} else {
			missing = append(missing, name)
		}
	}
	procs := "no backup process excluded"
	for _, p := range f.Defender.ExclusionProcess {
		if strings.EqualFold(baseName(p), "wbengine.exe") {
			procs = "wbengine.exe excluded"
		}
	}
	if len(missing) > 0 {
		return v(Fail, fmt.Sprintf("Microsoft Defender is active and does not exclude backup target(s) %s (ExclusionPath: %s; %s)", strings.Join(missing, ", "), listOrNone(f.Defender.ExclusionPath), procs),
			fmt.Sprintf("Microsoft Defender が有効で、保存先 %s が除外されていません(ExclusionPath: %s)", strings.Join(missing, ", "), listOrNone(f.Defender.ExclusionPath)))
	}
	return v(Pass, fmt.Sprintf("Microsoft Defender excludes every backup target: %s (%s)", strings.Join(covered, "; "), procs),
		fmt.Sprintf("Microsoft Defender はすべての保存先を除外しています: %s", strings.Join(covered, "; ")))
}

// excludedBy returns the exclusion covering one of paths (the exclusion
// is the path or a folder above it), case-insensitively.
func excludedBy(paths, exclusions []string) (string, bool) {
	for _, ex := range exclusions {
		e := strings.ToLower(strings.TrimRight(ex, `\`))
		if e == "" {
			continue
		}
		for _, p := range paths {
			q := strings.ToLower(strings.TrimRight(p, `\`))
			if q == "" {
				continue
			}
			if q == e || strings.HasPrefix(q, e+`\`) {
				return ex, true
			}
		}
	}
	return "", false
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// evalRestoreTest: the newest restore test, from the caller's record, the
// declared date or the event log, is at most RestoreTestMaxAge old.
func evalRestoreTest(in Input) verdict {
	type ev struct {
		when   time.Time
		en, ja string
	}
	var evs []ev
	if !in.RecordedRestoreTest.IsZero() {
		evs = append(evs, ev{in.RecordedRestoreTest, "a `restore-test done` record", "`restore-test done` の記録"})
	}
	badDecl := ""
	if s := strings.TrimSpace(in.Declared.RestoreTest); s != "" {
		if t, err := time.ParseInLocation(time.DateOnly, s, in.Now.Location()); err == nil {
			evs = append(evs, ev{t, "the date declared in the configuration", "設定ファイルで申告された日付"})
		} else {
			badDecl = s
		}
	}
	for _, t := range in.Facts.Restores {
		evs = append(evs, ev{t, "a completed recovery in the Microsoft-Windows-Backup event log", "Microsoft-Windows-Backup イベントログの復元完了"})
	}
	if len(evs) == 0 {
		if badDecl != "" {
			return v(Unknown, fmt.Sprintf("declared restore_test %q is not a date (YYYY-MM-DD)", badDecl),
				fmt.Sprintf("申告された restore_test %q は日付(YYYY-MM-DD)ではありません", badDecl))
		}
		return v(Fail, "no restore test recorded, declared or found in the event log",
			"復元テストの記録・申告・イベントログのいずれもありません")
	}
	newest := slices.MaxFunc(evs, func(a, b ev) int { return a.when.Compare(b.when) })
	age := in.Now.Sub(newest.when)
	days := int(age.Hours() / 24)
	date := newest.when.Format(time.DateOnly)
	if age > RestoreTestMaxAge {
		return v(Fail, fmt.Sprintf("last restore test %s (%d days ago, from %s) is older than 183 days", date, days, newest.en),
			fmt.Sprintf("最後の復元テストは %s(%d 日前、%s)で、183日を超えています", date, days, newest.ja))
	}
	return v(Pass, fmt.Sprintf("last restore test %s (%d days ago), from %s", date, days, newest.en),
		fmt.Sprintf("最後の復元テストは %s(%d 日前)、%s", date, days, newest.ja))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
