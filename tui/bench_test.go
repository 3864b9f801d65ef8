package tui

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// frameWriter signals once the program has written a frame holding want.
type frameWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want []byte
	done chan struct{}
	once sync.Once
}

func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if bytes.Contains(w.buf.Bytes(), w.want) {
		w.once.Do(func() { close(w.done) })
	}
	return len(p), nil
}

// firstFrame runs a real program with the fixed-data backend and returns
// the time from New to the first frame showing the loaded accounts and
// endpoints (the last line of the Accounts screen).
func firstFrame(tb testing.TB) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &frameWriter{want: []byte("https://eos.backup.example"), done: make(chan struct{})}
	start := time.Now()
	p := tea.NewProgram(New(ctx, &fakeBackend{}, Options{}), tea.WithInput(&bytes.Buffer{}), tea.WithOutput(w), tea.WithoutSignals(), tea.WithContext(ctx))
	errc := make(chan error, 1)
	go func() { _, err := p.Run(); errc <- err }()
	p.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	var took time.Duration
	select {
	case <-w.done:
		took = time.Since(start)
	case <-time.After(5 * time.Second):
		tb.Fatal("no full frame within 5 s")
	}
	p.Quit()
	<-errc
	return took
}

// BenchmarkStartToFirstFrame measures the time from building the model to
// the first full frame with data on the terminal (target: under 200 ms).
func BenchmarkStartToFirstFrame(b *testing.B) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		total += firstFrame(b)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/frame")
}

// BenchmarkRender measures one full render of the busiest screen.
func BenchmarkRender(b *testing.B) {
	fb := &fakeBackend{}
	m := sized(withScreens(b, fb, func(m *Model) []screen { return []screen{newTree(m.common(), "bpkeysdemo11")} }), 120, 40)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
}
