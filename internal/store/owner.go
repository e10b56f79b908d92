package store

import (
	"os"
	"sync"
)

// Owner identifies the process that carries out a run, so that another
// wsbbot opening the record can tell a run in progress elsewhere from one
// left behind by a process that died.
type Owner struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
	// Start is the process's start time as the system tells it (Linux:
	// clock ticks since boot, from /proc), "" where it cannot: with it, a
	// pid reused by an unrelated process is not taken for the owner.
	Start string `json:"start,omitempty"`
}

var (
	selfOnce sync.Once
	self     Owner
)

// CurrentOwner returns the Owner that stands for this process.
func CurrentOwner() *Owner {
	selfOnce.Do(func() {
		host, _ := os.Hostname()
		self = Owner{PID: os.Getpid(), Host: host, Start: processStart(os.Getpid())}
	})
	o := self
	return &o
}

// ownerAlive reports whether o's process still runs. An owner on another
// host cannot be checked from here and counts as alive: its runs are left
// for a wsbbot on that host to mark.
func ownerAlive(o Owner) bool {
	me := CurrentOwner()
	if o.Host != me.Host {
		return true
	}
	if o.PID == me.PID {
		return o.Start == "" || o.Start == me.Start
	}
	if o.PID <= 0 || !processExists(o.PID) {
		return false
	}
	if o.Start != "" {
		if now := processStart(o.PID); now != "" && now != o.Start {
			return false // the pid now belongs to another process
		}
	}
	return true
}
