package natshub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rxsse/rxsse/encoder"
	"github.com/rxsse/rxsse/internal/publish"
	"github.com/rxsse/rxsse/observable/hub"
)

var _ hub.Broker = (*Broker)(nil)

func TestLiveEventsReachEverySubscriberOfEveryInstance(t *testing.T) {
	n := startNATS(t)
	a := newBroker(t, connect(t, n.url), Config{})
	b := newBroker(t, connect(t, n.url), Config{})
	all, room := subscribe(t, b, ""), subscribe(t, b, "", "room")
	other := subscribe(t, a, "", "other")
	mustPublish(t, a, "1", "room")
	mustPublish(t, b, "2")
	mustPublish(t, a, "3", "other", "room")
	if got := all.data(3); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("all: %q", got)
	}
	if got := room.data(3); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("room: %q", got)
	}
	if got := other.data(2); !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("other: %q", got)
	}
}

func TestEventsKeepEveryFieldThroughTheStream(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{})
	s := subscribe(t, b, "")
	ctx := context.Background()
	in := []encoder.MessageEvent{
		{Data: " spaced \r\n lines ", Type: " type with spaces ", Comment: "a\nb", Retry: 1500 * time.Millisecond},
		{Data: []byte{0, 1, 2}},
		{Data: json.RawMessage(`{"a":1}`)},
		{Data: map[string]string{"html": "<b>&</b>"}},
		{Data: ""},
		{Type: "no-data"},
	}
	want := []any{" spaced \r\n lines ", []byte{0, 1, 2}, json.RawMessage(`{"a":1}`), json.RawMessage(`{"html":"<b>&</b>"}`), "", nil}
	ids := make([]string, len(in))
	for i, ev := range in {
		id, err := b.Publish(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	for i := range in {
		got := s.event()
		if got.ID != ids[i] {
			t.Errorf("event %d: id %q, Publish returned %q", i, got.ID, ids[i])
		}
		wantEv := in[i]
		wantEv.ID, wantEv.Data = ids[i], want[i]
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(wantEv)
		if string(gotJSON) != string(wantJSON) || (want[i] != nil && got.Data == nil) {
			t.Errorf("event %d:\n got %s (%T)\nwant %s (%T)", i, gotJSON, got.Data, wantJSON, want[i])
		}
	}
}

func TestTopicsThatAreNotSubjectTokensAreSafe(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{})
	long := string(make([]byte, 300)) + "x"
	topics := []string{"a.b", "a", "*", ">", "a b", "é", "%41", "A", long, "\r\n", "rxsse.RXSSE.all"}
	subs := make([]*sub, len(topics))
	for i, tp := range topics {
		subs[i] = subscribe(t, b, "", tp)
	}
	for i, tp := range topics {
		mustPublish(t, b, strconv.Itoa(i), tp)
	}
	for i, s := range subs {
		if got := s.data(1); got[0] != strconv.Itoa(i) {
			t.Errorf("topic %q got event %q", topics[i], got[0])
		}
	}
	// Each topic's history holds its own event only.
	fresh := newBroker(t, connect(t, n.url), Config{LocalWindow: 1})
	for i, tp := range topics {
		s := subscribe(t, fresh, "0", tp)
		if ev := s.event(); ev.Type != hub.GapEventType {
			t.Fatalf("topic %q: first event %+v, want the gap", tp, ev)
		}
		if got := s.data(1); got[0] != strconv.Itoa(i) {
			t.Errorf("topic %q replays event %q", tp, got[0])
		}
	}
}

func TestTokensRoundTrip(t *testing.T) {
	for _, s := range []string{"", "abc", "a.b", "a b", "%", "%2E", "é", "\x00\xff", "*>", "A-Z_0"} {
		tok := encodeToken(s)
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; !plainByte(c) && c != '%' {
				t.Errorf("token %q of %q has %q", tok, s, c)
			}
		}
		back, err := decodeToken(tok)
		if err != nil || back != s {
			t.Errorf("decode(encode(%q)) = %q, %v", s, back, err)
		}
	}
	for _, bad := range []string{"a.b", "%4", "%zz", "a b"} {
		if _, err := decodeToken(bad); err == nil {
			t.Errorf("decode(%q) accepted", bad)
		}
	}
}

func TestPublishRejectsWhatTheHubRejects(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{})
	ctx := context.Background()
	for name, tc := range map[string]struct {
		ev     encoder.MessageEvent
		topics []string
	}{
		"an id":              {ev: encoder.MessageEvent{ID: "1"}},
		"a type with a line": {ev: encoder.MessageEvent{Type: "a\nb"}},
		"invalid raw JSON":   {ev: encoder.MessageEvent{Data: json.RawMessage("{")}},
		"unmarshallable":     {ev: encoder.MessageEvent{Data: make(chan int)}},
		"an empty topic":     {topics: []string{"a", ""}},
	} {
		if id, err := b.Publish(ctx, tc.ev, tc.topics...); err == nil {
			t.Errorf("%s: published as %q", name, id)
		}
	}
	var fe *encoder.FieldError
	if _, err := b.Publish(ctx, encoder.MessageEvent{ID: "x"}); !errors.As(err, &fe) || !errors.Is(err, hub.ErrIDSet) {
		t.Errorf("an id: %v", err)
	}
}

func TestResumeWithinTheLocalWindowAndBeyondIt(t *testing.T) {
	n := startNATS(t)
	a := newBroker(t, connect(t, n.url), Config{LocalWindow: 3})
	live := subscribe(t, a, "")
	var ids, data []string
	add := func(d string) string {
		id := mustPublish(t, a, d)
		ids, data = append(ids, id), append(data, d)
		live.data(1) // a's fan-out has it
		return id
	}
	for i := range 10 {
		add(strconv.Itoa(i))
	}
	for _, tc := range []struct {
		from int
		name string
	}{{8, "local"}, {7, "local, oldest"}, {2, "from the stream"}, {0, "from the stream, first"}} {
		s := subscribe(t, a, ids[tc.from])
		want := slices.Clone(data[tc.from+1:])
		if got := s.data(len(want)); !slices.Equal(got, want) {
			t.Errorf("%s: after %d got %q, want %q", tc.name, tc.from, got, want)
		}
		// then live, with no duplicate at the seam
		id := add("next-" + tc.name)
		if ev := s.event(); ev.ID != id {
			t.Errorf("%s: after the replay got %+v, want %s", tc.name, ev, id)
		}
	}
}

func TestAResumeFromAnotherInstanceIsExact(t *testing.T) {
	n := startNATS(t)
	a := newBroker(t, connect(t, n.url), Config{})
	b := newBroker(t, connect(t, n.url), Config{LocalWindow: 2})
	var ids []string
	for i := range 5 {
		ids = append(ids, mustPublish(t, a, strconv.Itoa(i), "room"))
	}
	// b may not have consumed them yet: it must still resume exactly.
	s := subscribe(t, b, ids[1], "room")
	if got := s.data(3); !slices.Equal(got, []string{"2", "3", "4"}) {
		t.Errorf("got %q", got)
	}
	// An id b has not consumed yet, just published on a: nothing to replay.
	last := mustPublish(t, a, "5", "room")
	s2 := subscribe(t, b, last, "room")
	mustPublish(t, a, "6", "room")
	if got := s2.data(1); got[0] != "6" {
		t.Errorf("after the latest id: %q", got)
	}
}

func TestUnknownIDsGetTheGapThenTheRetainedEvents(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{ReplayCount: 3, Buffer: 3})
	var ids []string
	for i := range 5 {
		ids = append(ids, mustPublish(t, b, strconv.Itoa(i)))
	}
	epoch, _, _ := publish.ParseID(ids[0])
	for _, id := range []string{"0", "garbage", "other-3", ids[0], epoch + "-999"} {
		s := subscribe(t, b, id)
		gap := s.event()
		if gap.Type != hub.GapEventType || gap.ID != ids[1] {
			t.Errorf("%q: first event %+v, want the gap with id %s", id, gap, ids[1])
		}
		var d struct{ LastEventID string }
		if err := json.Unmarshal(gap.Data.(json.RawMessage), &d); err != nil || d.LastEventID != id {
			t.Errorf("%q: gap data %s", id, gap.Data)
		}
		if got := s.data(3); !slices.Equal(got, []string{"2", "3", "4"}) {
			t.Errorf("%q: replay %q", id, got)
		}
	}
}

func TestAPurgedStreamYieldsTheGap(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	a := newBroker(t, nc, Config{})
	var ids []string
	for i := range 3 {
		ids = append(ids, mustPublish(t, a, strconv.Itoa(i)))
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "RXSSE")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := mustPublish(t, a, "after")
	// A new instance has none of it in memory: it reads the stream.
	b := newBroker(t, connect(t, n.url), Config{})
	s := subscribe(t, b, ids[1])
	if gap := s.event(); gap.Type != hub.GapEventType || gap.ID != publish.FormatID(b.epoch, 3) {
		t.Errorf("first event %+v, want the gap", gap)
	}
	if ev := s.event(); ev.ID != after {
		t.Errorf("then %+v, want %s", ev, after)
	}
}

func TestARecreatedStreamIsANewEpoch(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	a := newBroker(t, nc, Config{})
	live := subscribe(t, a, "")
	old := mustPublish(t, a, "old")
	live.data(1)
	js, _ := jetstream.New(nc)
	if err := js.DeleteStream(context.Background(), "RXSSE"); err != nil {
		t.Fatal(err)
	}
	// The instance notices, ends its subscribers so they reconnect, and
	// recreates the stream: a new epoch.
	if err := live.end(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("live subscription ended with %v", err)
	}
	var id string
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		id, err = a.Publish(context.Background(), encoder.MessageEvent{Data: "new"})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // polls the recovery, bounded by the deadline
	}
	oldEpoch, _, _ := publish.ParseID(old)
	newEpoch, seq, _ := publish.ParseID(id)
	if oldEpoch == newEpoch || seq != 1 {
		t.Fatalf("old id %s, new id %s", old, id)
	}
	s := subscribe(t, a, old)
	if gap := s.event(); gap.Type != hub.GapEventType {
		t.Errorf("resume from the old epoch: %+v, want the gap", gap)
	}
	if ev := s.event(); ev.ID != id {
		t.Errorf("then %+v, want %s", ev, id)
	}
}

// However many subscribers an instance has, NATS serves it one consumer.
func TestTenThousandSubscribersCostOneConsumer(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	b := newBroker(t, nc, Config{})
	subs := make([]*sub, 10_000)
	for i := range subs {
		subs[i] = subscribe(t, b, "", "room-"+strconv.Itoa(i%100))
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "RXSSE")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 1 {
		t.Errorf("%d consumers on the stream, want 1", info.State.Consumers)
	}
	topics := make([]string, 100)
	for i := range topics {
		topics[i] = "room-" + strconv.Itoa(i)
	}
	id := mustPublish(t, b, "to every room", topics...)
	for i, s := range subs {
		if ev := s.event(); ev.ID != id {
			t.Fatalf("subscriber %d got %+v", i, ev)
		}
	}
}

// countingObserver records what a Broker reports.
type countingObserver struct {
	mu           sync.Mutex
	subscribed   []string // "replayed/gap"
	unsubscribed []hub.EndReason
	delivered    []int
	onSubscribed chan struct{} // receives on every Subscribed, if set
}

func (o *countingObserver) Subscribed(replayed int, gap bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.subscribed = append(o.subscribed, fmt.Sprintf("%d/%v", replayed, gap))
	if o.onSubscribed != nil {
		o.onSubscribed <- struct{}{}
	}
}

func (o *countingObserver) Unsubscribed(r hub.EndReason) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unsubscribed = append(o.unsubscribed, r)
}

func (o *countingObserver) Published(delivered int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delivered = append(o.delivered, delivered)
}

func TestTheObserverSeesSubscriptionsAndDeliveries(t *testing.T) {
	n := startNATS(t)
	a := newBroker(t, connect(t, n.url), Config{})
	obs := &countingObserver{onSubscribed: make(chan struct{}, 2)}
	b := newBroker(t, connect(t, n.url), Config{Observer: obs, LocalWindow: 1})
	live := subscribe(t, b, "")
	<-obs.onSubscribed
	first := mustPublish(t, a, "1")
	mustPublish(t, a, "2")
	mustPublish(t, a, "3")
	live.data(3)                  // b has consumed them all, and keeps only the last
	old := subscribe(t, b, first) // older than b's window: read from the stream
	if got := old.data(2); !slices.Equal(got, []string{"2", "3"}) {
		t.Fatalf("resume got %q", got)
	}
	<-obs.onSubscribed // the read is over and the subscription has joined the fan-out
	mustPublish(t, a, "4")
	live.data(1)
	old.data(1) // from the fan-out: the read is over
	live.it.Close()
	old.it.Close()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	slices.Sort(obs.subscribed) // the two may report in either order
	if want := []string{"0/false", "2/false"}; !slices.Equal(obs.subscribed, want) {
		t.Errorf("Subscribed %q, want %q", obs.subscribed, want)
	}
	if len(obs.delivered) == 0 || obs.delivered[len(obs.delivered)-1] != 2 {
		t.Errorf("Published delivered %v, want the last event delivered to 2", obs.delivered)
	}
	if want := []hub.EndReason{hub.EndLeft, hub.EndLeft}; !slices.Equal(obs.unsubscribed, want) {
		t.Errorf("Unsubscribed %v, want %v", obs.unsubscribed, want)
	}
}

// A new instance warms its window from the stream: a client that resumes
// there right after it started is served from memory, without a read of
// the stream (which would show as a second consumer on the stream).
func TestANewInstanceServesRecentResumesFromMemory(t *testing.T) {
	n := startNATS(t)
	nc := connect(t, n.url)
	a := newBroker(t, nc, Config{})
	var ids []string
	for i := range 20 {
		ids = append(ids, mustPublish(t, a, strconv.Itoa(i)))
	}
	b := newBroker(t, connect(t, n.url), Config{LocalWindow: 10})
	live := subscribe(t, b, "")
	s := subscribe(t, b, ids[12])
	if got := s.data(7); !slices.Equal(got, []string{"13", "14", "15", "16", "17", "18", "19"}) {
		t.Errorf("resume got %q", got)
	}
	js, _ := jetstream.New(nc)
	st, _ := js.Stream(context.Background(), "RXSSE")
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 2 { // a's and b's
		t.Errorf("%d consumers on the stream, want 2: the resume read the stream", info.State.Consumers)
	}
	// Live subscriptions do not get the warm-up as live events.
	id := mustPublish(t, a, "live")
	if ev := live.event(); ev.ID != id {
		t.Errorf("live got %+v first, want %s", ev, id)
	}
}

// A live event reaches every subscriber framed once (encoder.Frame): the
// transport writes its frame, the bytes it would have encoded.
func TestLiveEventsArriveFramed(t *testing.T) {
	n := startNATS(t)
	b := newBroker(t, connect(t, n.url), Config{})
	s1, s2 := subscribe(t, b, ""), subscribe(t, b, "")
	if _, err := b.Publish(context.Background(), encoder.MessageEvent{Type: "tick", Data: map[string]int{"n": 1}}); err != nil {
		t.Fatal(err)
	}
	e1, e2 := s1.event(), s2.event()
	f1, f2 := e1.Framed(), e2.Framed()
	if f1 == nil || &f1[0] != &f2[0] {
		t.Fatalf("the subscribers' events do not share one frame: %q, %q", f1, f2)
	}
	plain := encoder.MessageEvent{ID: e1.ID, Type: e1.Type, Data: e1.Data}
	want, err := encoder.NewEncoder(nil).AppendEvent(nil, plain)
	if err != nil {
		t.Fatal(err)
	}
	if string(f1) != string(want) {
		t.Errorf("frame %q, want %q", f1, want)
	}
}
