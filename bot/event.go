package bot

// Source says where a Message came from.
type Source string

// The sources of messages.
const (
	SourceMention Source = "mention" // an @mention in a channel
	SourceDM      Source = "dm"      // a direct message to the bot
	SourceSlash   Source = "slash"   // the /wsb slash command
	SourceChannel Source = "channel" // a plain message in a watched channel
	SourceConsole Source = "console" // a line typed at the terminal
)

// Message is one thing a user said to the bot, whatever the platform.
type Message struct {
	// User is the platform's stable user id; UserName a display name for
	// replies and the record (may be "").
	User, UserName string
	// Locale is the user's locale as the platform reports it ("ja-JP",
	// "en-US", "ja_JP.UTF-8"); "" when unknown.
	Locale string
	// Channel and the message's own timestamp TS; ThreadTS is the thread
	// it was posted in ("" when it is not in a thread).
	Channel, ThreadTS, TS string
	// Text is what the user wrote, as received (mention prefix included).
	Text string
	DM   bool
	// Source says how it reached the bot.
	Source Source
}

// thread is the thread a reply to m goes in: m's thread, else m itself.
func (m Message) thread() string {
	if m.ThreadTS != "" {
		return m.ThreadTS
	}
	return m.TS
}

// actor names the user for the record.
func actor(user, name string) string {
	if name != "" && name != user {
		return user + " (" + name + ")"
	}
	return user
}

// Action is a click on a button, or a choice in a menu, of a reply the
// bot posted.
type Action struct {
	User, UserName string
	Locale         string
	// Channel and ThreadTS locate the reply's thread; MessageTS is the
	// reply that was clicked.
	Channel, ThreadTS, MessageTS string
	// ActionID and Value are those of the Button or of the chosen Option.
	ActionID, Value string
}

func (a Action) thread() string {
	if a.ThreadTS != "" {
		return a.ThreadTS
	}
	return a.MessageTS
}
