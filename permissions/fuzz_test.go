package permissions

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bpkeys/bpkeys/signer"
)

func FuzzParseAuthorityJSON(f *testing.F) {
	f.Add([]byte(`{"threshold":1,"keys":[{"key":"EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV","weight":1}],"accounts":[],"waits":[]}`))
	f.Add([]byte(`{"threshold":2,"keys":[],"accounts":[{"permission":{"actor":"alice","permission":"active"},"weight":1},{"permission":{"actor":"bob","permission":"active"},"weight":1}],"waits":[{"wait_sec":3600,"weight":1}]}`))
	f.Add([]byte(`{"threshold":1,"keys":[{"key":"PUB_R1_6EPHFSKVYHBjQgxVGQPrwCxTg7BbZ69H9i4gztN9deKTEXYne4","weight":65535}]}`))
	f.Add([]byte(`{"threshold":0}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		au, err := ParseAuthorityJSON(b)
		if err != nil {
			return
		}
		// Whatever parses is what nodeos accepts, and survives a round trip.
		if err := au.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		again, err := ParseAuthorityJSON(mustJSON(t, au))
		if err != nil || !again.Equal(au) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := jsonMarshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bigWorld is an account with 100 permissions whose authorities name team
// accounts nested four deep.
func bigWorld() (*World, HolderFunc, []string) {
	w := NewWorld()
	holders := map[string]string{}
	var members []string
	for m := 0; m < 5; m++ {
		member := fmt.Sprintf("member%d", m+1)
		members = append(members, member)
		for d := 4; d >= 1; d-- {
			name := fmt.Sprintf("lvl%d.m%d", d, m+1)
			k := key(name)
			holders[k.String()] = member
			act := keysAuth(1, k)
			if d < 4 {
				act.Accounts = []AccountWeight{{Permission: Level{fmt.Sprintf("lvl%d.m%d", d+1, m+1), Active}, Weight: 1}}
			}
			a := &Account{Name: name, Permissions: []Permission{{Name: Owner, Auth: keysAuth(1, key("cold"+name))}, {Name: Active, Parent: Owner, Auth: act}}}
			a.Normalize()
			w.Add(a)
		}
	}
	root := &Account{Name: "bigbp", Permissions: []Permission{
		{Name: Owner, Auth: acctAuth(3, "lvl1.m1@active", "lvl1.m2@active", "lvl1.m3@active", "lvl1.m4@active", "lvl1.m5@active")},
		{Name: Active, Parent: Owner, Auth: acctAuth(2, "lvl1.m1@active", "lvl1.m2@active", "lvl1.m3@active", "lvl1.m4@active", "lvl1.m5@active")},
	}}
	for i := 0; i < 98; i++ {
		k := key(fmt.Sprintf("perm%d", i))
		holders[k.String()] = members[i%5]
		au := keysAuth(2, k)
		au.Accounts = []AccountWeight{
			{Permission: Level{fmt.Sprintf("lvl1.m%d", i%5+1), Active}, Weight: 1},
			{Permission: Level{fmt.Sprintf("lvl1.m%d", (i+1)%5+1), Active}, Weight: 1},
		}
		au.Normalize()
		parent := Active
		if i >= 10 {
			parent = letters("p", i%10)
		}
		root.Permissions = append(root.Permissions, Permission{Name: letters("p", i), Parent: parent, Auth: au,
			Links: []Link{{Contract: "app", Action: letters("act", i)}}})
	}
	root.Normalize()
	if err := root.Check(); err != nil {
		panic(err)
	}
	w.Add(root)
	return w, func(k signerKey) (string, bool) { h, ok := holders[k.String()]; return h, ok }, members
}

func TestBigWorld(t *testing.T) {
	w, holderOf, members := bigWorld()
	if n := len(w.Account("bigbp").Permissions); n != 100 {
		t.Fatalf("%d permissions", n)
	}
	p, err := WhoCanDoWhat(w, "bigbp", holderOf, members, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Capabilities) != 100 { // owner, active, 98 links
		t.Fatalf("%d capabilities", len(p.Capabilities))
	}
	// member1 holds p0's key and lvl1.m1 (through four levels): p0 alone.
	if p.Members[0].Alone[0] != "app::actaa" {
		t.Fatalf("member1 alone: %v", p.Members[0].Alone)
	}
	// owner needs three members.
	if c := p.Capabilities[0]; c.Name != "owner" || len(c.Sets) != 10 || len(c.Sets[0]) != 3 {
		t.Fatalf("owner: %+v", c)
	}
}

func BenchmarkWhoCanDoWhat(b *testing.B) {
	w, holderOf, members := bigWorld()
	b.ResetTimer()
	for b.Loop() {
		if _, err := WhoCanDoWhat(w, "bigbp", holderOf, members, 0); err != nil {
			b.Fatal(err)
		}
	}
}

type signerKey = signer.PublicKey

var jsonMarshal = json.Marshal

// letters names the i-th of a series with valid EOSIO name characters.
func letters(prefix string, i int) string {
	return prefix + string(rune('a'+i/26)) + string(rune('a'+i%26))
}
