package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const httpSigningSecret = "e2e-signing-secret-0123456789abcdef"

// postSigned POSTs body to serve's path as Slack does, signed with the
// signing secret, and returns the status and the body answered.
func (s *served) postSigned(path, contentType, body string) (int, string) {
	s.t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://"+s.listen+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(httpSigningSecret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeHTTPMode drives `wsbbot serve` with slack.mode http: Slack's
// URL verification, a signed mention answered in its thread (in English
// and Japanese), an unsigned one refused, and /healthz.
func TestServeHTTPMode(t *testing.T) {
	s := startServeWith(t, []string{"WSBBOT_SLACK_MODE=http", "WSBBOT_SLACK_SIGNING_SECRET=" + httpSigningSecret}, nil)
	if code, body := s.postSigned("/slack/events", "application/json", `{"type":"url_verification","challenge":"c-123","token":"x"}`); code != http.StatusOK || !strings.Contains(body, "c-123") {
		t.Fatalf("url_verification = %d %q", code, body)
	}
	bot := "<@" + s.slack.BotUserID() + ">"
	for i, l := range []string{"en", "ja"} {
		u := chatUsers[l].ID
		ts := s.slack.UserSays("C01", u, bot+" 0x80780119")
		ev, _ := json.Marshal(map[string]any{
			"type": "event_callback", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "event_id": "EvHTTP" + strconv.Itoa(i), "event_time": time.Now().Unix(),
			"event": map[string]any{"type": "app_mention", "user": u, "text": bot + " 0x80780119", "ts": ts, "channel": "C01", "event_ts": ts},
		})
		if code, body := s.postSigned("/slack/events", "application/json", string(ev)); code != http.StatusOK {
			t.Fatalf("%s mention = %d %q", l, code, body)
		}
		s.waitThread(l+" lookup over HTTP", "C01", ts, containsAll("0x80780119", lang(l, "Cause", "原因")))
	}
	resp, err := http.Post("http://"+s.listen+"/slack/events", "application/json", strings.NewReader(`{"type":"url_verification","challenge":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned request = %d, want 401", resp.StatusCode)
	}
	if code, _ := s.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d in http mode", code)
	}
}
