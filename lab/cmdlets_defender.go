package lab

var cmdletMpPreference = lockedCmdlet((*Host).mpPreferenceLocked)

var cmdletMpStatus = lockedCmdlet((*Host).mpStatusLocked)
