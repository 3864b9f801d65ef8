package tui

import (
	"fmt"
	"strings"
)

// A TreeView rendered as a diagram a team can put in its runbook or
// security page: the same model as the tree screen, so the diagram and the
// TUI never disagree. Every permission with its threshold, its keys (whole,
// with holder and device), account levels, waits and weights, the
// parent/child structure and the linked actions.

// diagramGraph is the tree as nodes and edges, shared by both formats.
type diagramGraph struct {
	title string
	nodes []diagramNode
	edges []diagramEdge
}

type diagramNode struct {
	id, kind string // kind: perm, key, level, wait, action
	lines    []string
}

type diagramEdge struct {
	from, to, label string
	dashed          bool
}

func buildDiagram(v *TreeView) diagramGraph {
	g := diagramGraph{title: v.Account + " permissions"}
	perm := map[string]string{}
	for i, p := range v.Perms {
		id := fmt.Sprintf("p%d", i)
		perm[p.Name] = id
		total := 0
		for _, k := range p.Keys {
			total += int(k.Weight)
		}
		for _, a := range p.Accounts {
			total += int(a.Weight)
		}
		g.nodes = append(g.nodes, diagramNode{id, "perm", []string{v.Account + "@" + p.Name, fmt.Sprintf("threshold %d of %d", p.Threshold, total)}})
	}
	levels := map[string]string{}
	actions := map[string]string{}
	for i, p := range v.Perms {
		pid := perm[p.Name]
		if p.Parent != "" {
			if parent, ok := perm[p.Parent]; ok {
				g.edges = append(g.edges, diagramEdge{from: parent, to: pid, label: "parent of"})
			}
		}
		for j, k := range p.Keys {
			id := fmt.Sprintf("k%d_%d", i, j)
			holder := k.Holder
			if holder == "" {
				holder = "held by nobody in the team file"
			}
			lines := []string{k.Key, holder}
			if k.Device != "" {
				lines = append(lines, k.Device)
			}
			if !k.Hardware && k.Holder != "" {
				lines = append(lines, "not marked as hardware")
			}
			g.nodes = append(g.nodes, diagramNode{id, "key", lines})
			g.edges = append(g.edges, diagramEdge{from: id, to: pid, label: fmt.Sprintf("weight %d", k.Weight)})
		}
		for _, a := range p.Accounts {
			id, ok := levels[a.Level]
			if !ok {
				id = fmt.Sprintf("a%d", len(levels))
				levels[a.Level] = id
				g.nodes = append(g.nodes, diagramNode{id, "level", []string{a.Level}})
			}
			g.edges = append(g.edges, diagramEdge{from: id, to: pid, label: fmt.Sprintf("weight %d", a.Weight)})
		}
		for j, w := range p.Waits {
			id := fmt.Sprintf("w%d_%d", i, j)
			g.nodes = append(g.nodes, diagramNode{id, "wait", []string{fmt.Sprintf("wait %ds", w.Seconds), "never counts"}})
			g.edges = append(g.edges, diagramEdge{from: id, to: pid, label: fmt.Sprintf("weight %d", w.Weight)})
		}
		for _, l := range p.Links {
			id, ok := actions[l]
			if !ok {
				id = fmt.Sprintf("l%d", len(actions))
				actions[l] = id
				g.nodes = append(g.nodes, diagramNode{id, "action", []string{l}})
			}
			g.edges = append(g.edges, diagramEdge{from: pid, to: id, label: "linked", dashed: true})
		}
	}
	for _, l := range v.AnyLinks {
		id := fmt.Sprintf("l%d", len(actions))
		actions[l+" (eosio.any)"] = id
		g.nodes = append(g.nodes, diagramNode{id, "action", []string{l, "linked to eosio.any: any permission"}})
	}
	return g
}

// Mermaid renders the tree as a Mermaid flowchart (GitHub renders it in
// Markdown inside a ```mermaid block).
func Mermaid(v *TreeView) string {
	g := buildDiagram(v)
	var b strings.Builder
	fmt.Fprintf(&b, "---\ntitle: %s\n---\nflowchart TD\n", mermaidText(g.title))
	shape := map[string][2]string{"perm": {"[", "]"}, "key": {"[/", "/]"}, "level": {"([", "])"}, "wait": {"{{", "}}"}, "action": {">", "]"}}
	for _, n := range g.nodes {
		s := shape[n.kind]
		fmt.Fprintf(&b, "  %s%s\"%s\"%s\n", n.id, s[0], mermaidText(strings.Join(n.lines, "\n")), s[1])
	}
	for _, e := range g.edges {
		arrow := "-->"
		if e.dashed {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.from, arrow, mermaidText(e.label), e.to)
	}
	return b.String()
}

// mermaidText escapes a label: quotes and markup characters as entities,
// line breaks as <br/>.
func mermaidText(s string) string {
	r := strings.NewReplacer("#", "#35;", "&", "#amp;", "\"", "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>")
	return r.Replace(s)
}

// Dot renders the tree as a Graphviz digraph (dot -Tsvg).
func Dot(v *TreeView) string {
	g := buildDiagram(v)
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n  label=%s;\n  labelloc=t;\n  node [fontname=\"monospace\"];\n", dotText(v.Account), dotText(g.title))
	shape := map[string]string{"perm": "box", "key": "note", "level": "ellipse", "wait": "hexagon", "action": "cds"}
	for _, n := range g.nodes {
		fmt.Fprintf(&b, "  %s [shape=%s, label=%s];\n", n.id, shape[n.kind], dotText(strings.Join(n.lines, "\n")))
	}
	for _, e := range g.edges {
		style := ""
		if e.dashed {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", e.from, e.to, dotText(e.label), style)
	}
	b.WriteString("}\n")
	return b.String()
}

// dotText quotes a DOT string: backslashes and quotes escaped, line
// breaks as \n.
func dotText(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "\"", "\\\"", "\n", "\\n")
	return "\"" + r.Replace(s) + "\""
}
