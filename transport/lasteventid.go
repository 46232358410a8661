package transport

import "net/http"

// LastEventID returns where the client asks to resume: the Last-Event-ID
// header a reconnecting EventSource sends, or else the lastEventId query
// parameter, for clients that cannot set headers on their first connection.
// It returns "" for a fresh client.
func LastEventID(r *http.Request) string {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return r.URL.Query().Get("lastEventId")
}
