package transport

import "net/http"

// SetParkHook makes f be called when a stream parks, until the returned
// function restores the previous hook. Tests set it before their server
// serves.
func SetParkHook(f func(r *http.Request)) (restore func()) {
	old := parkTestHook
	parkTestHook = f
	return func() { parkTestHook = old }
}
