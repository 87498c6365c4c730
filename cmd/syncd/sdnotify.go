package main

import sd "github.com/coreos/go-systemd/v22/daemon"

// notifyReady tells systemd (Type=notify) the daemon is up; a no-op when
// not started by systemd.
func notifyReady() { sd.SdNotify(false, sd.SdNotifyReady) }

// notifyStopping tells systemd a clean shutdown has begun.
func notifyStopping() { sd.SdNotify(false, sd.SdNotifyStopping) }
