package oncall

import (
	"errors"

	"github.com/wsbbot/wsbbot/runbooks"
)

// ErrorCode says what kind of problem a UserError reports, so adapters can
// branch on it (the CLI maps it to an exit status).
type ErrorCode string

// The error codes.
const (
	// Invalid: the request names what does not exist (a runbook, a
	// server, a guide) or breaks a rule (a parameter, a date).
	Invalid ErrorCode = "invalid"
	// NotFound: the record asked for (a run) does not exist.
	NotFound ErrorCode = "not-found"
	// Refused: an approval does not cover what it was given for; nothing ran.
	Refused ErrorCode = "refused"
	// Failed: the request was fine but could not be carried out (the
	// dry run could not reach the server).
	Failed ErrorCode = "failed"
)

// UserError is an error whose message is safe to show a chat user, in both
// languages, kept apart from the internal cause that only operators read
// (in logs and in Error).
type UserError struct {
	Code ErrorCode
	// Msg is what the user is told.
	Msg runbooks.Text
	// Err is the internal cause; it may be nil.
	Err error
}

func (e *UserError) Error() string {
	if e.Err == nil {
		return e.Msg.EN
	}
	return e.Msg.EN + ": " + e.Err.Error()
}

func (e *UserError) Unwrap() error { return e.Err }

// userErr returns a UserError with the message in English and Japanese.
func userErr(code ErrorCode, en, ja string, cause error) *UserError {
	return &UserError{Code: code, Msg: runbooks.Text{EN: en, JA: ja}, Err: cause}
}

// Code returns the ErrorCode of err's UserError, or "" when err carries
// none (an internal error).
func Code(err error) ErrorCode {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Code
	}
	return ""
}

// Message returns what a user may be told about err in lang: a UserError's
// message, or a generic sentence for an internal error (whose cause goes
// to the operator's log, not to the user).
func Message(err error, lang runbooks.Lang) string {
	var ue *UserError
	if errors.As(err, &ue) {
		if m := ue.Msg.In(lang); m != "" {
			return m
		}
		return ue.Msg.EN
	}
	if lang == runbooks.LangJA {
		return "内部エラーが発生しました (詳細はオペレーターのログにあります)。"
	}
	return "internal error (the details are in the operator's log)."
}
