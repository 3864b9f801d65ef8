package tui

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

func TestDiagramGolden(t *testing.T) {
	v, err := (&fakeBackend{}).Tree(context.Background(), "bpkeysdemo11")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("mermaid", func(t *testing.T) { golden.RequireEqual(t, []byte(Mermaid(v))) })
	t.Run("dot", func(t *testing.T) { golden.RequireEqual(t, []byte(Dot(v))) })
}

// TestDiagramsShowTheWholeTree: both formats declare every node an edge
// uses, and show every permission, every key whole (never shortened),
// every account level and every linked action of the model.
func TestDiagramsShowTheWholeTree(t *testing.T) {
	v, err := (&fakeBackend{}).Tree(context.Background(), "bpkeysdemo11")
	if err != nil {
		t.Fatal(err)
	}
	formats := map[string]struct {
		out        string
		node, edge *regexp.Regexp
	}{
		"mermaid": {Mermaid(v), regexp.MustCompile(`(?m)^  ([a-z]\d+(?:_\d+)?)[\[\(/>{]`), regexp.MustCompile(`(?m)^  (\S+) -\.?->\|[^|]*\| (\S+)$`)},
		"dot":     {Dot(v), regexp.MustCompile(`(?m)^  ([a-z]\d+(?:_\d+)?) \[shape=`), regexp.MustCompile(`(?m)^  (\S+) -> (\S+) \[`)},
	}
	for name, f := range formats {
		declared := map[string]bool{}
		for _, m := range f.node.FindAllStringSubmatch(f.out, -1) {
			declared[m[1]] = true
		}
		edges := f.edge.FindAllStringSubmatch(f.out, -1)
		if len(declared) == 0 || len(edges) == 0 {
			t.Fatalf("%s: %d nodes, %d edges:\n%s", name, len(declared), len(edges), f.out)
		}
		for _, e := range edges {
			if !declared[e[1]] || !declared[e[2]] {
				t.Errorf("%s: edge %s -> %s uses an undeclared node", name, e[1], e[2])
			}
		}
		for _, p := range v.Perms {
			want := []string{v.Account + "@" + p.Name}
			for _, k := range p.Keys {
				want = append(want, k.Key)
			}
			for _, a := range p.Accounts {
				want = append(want, a.Level)
			}
			want = append(want, p.Links...)
			for _, w := range want {
				if !strings.Contains(f.out, w) {
					t.Errorf("%s: %q missing", name, w)
				}
			}
		}
		if strings.Contains(f.out, "…") {
			t.Errorf("%s: something is shortened", name)
		}
	}
}
