//go:build !linux

package transport

// parkSupported: streams park only on Linux, with epoll.
const parkSupported = false

// parkedConn is never made here.
type parkedConn struct{}

func (*parkedConn) flush() bool { return false }

// tryPark never parks here.
func (s *stream) tryPark(feed) bool { return false }
