package policies_test

import (
	"fmt"
	"math/big"

	"github.com/bpkeys/bpkeys/internal/testsigner"
	"github.com/bpkeys/bpkeys/permissions"
	"github.com/bpkeys/bpkeys/policies"
	"github.com/bpkeys/bpkeys/signer"
)

// tutorialKey is the key every EOSIO tutorial ships.
const tutorialKey = "EOS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"

// smallKey is the key of private key n.
func smallKey(c signer.Curve, n int64) *testsigner.Key {
	var d [32]byte
	big.NewInt(n).FillBytes(d[:])
	k, err := testsigner.FromScalar(c, d[:])
	if err != nil {
		panic(err)
	}
	return k
}

func addKeyText(perm, key string, w uint16) permissions.Edit {
	return permissions.Edit{Op: permissions.OpAddKey, Permission: perm, Key: key, Weight: w}
}

// sensitive are actions that give a power, by the power.
var sensitive = []struct{ action, what string }{
	{"eosio::setcode", "code"}, {"eosio::setabi", "code"},
	{"eosio::delegatebw", "funds"}, {"eosio::undelegatebw", "funds"}, {"eosio::sellram", "funds"}, {"eosio::buyram", "funds"},
	{"eosio::buyrambytes", "funds"}, {"eosio::ramtransfer", "funds"}, {"eosio::powerup", "funds"}, {"eosio::withdraw", "funds"},
	{"eosio::buyrex", "funds"}, {"eosio::sellrex", "funds"}, {"eosio::deposit", "funds"}, {"eosio::bidname", "funds"},
	{"eosio.token::transfer", "funds"}, {"eosio.msig::approve", "approve"},
	{"eosio::regproducer", "block"}, {"eosio::regproducer2", "block"}, {"eosio::regfinkey", "block"}, {"eosio::actfinkey", "block"},
}

// guardedContracts may not be linked whole.
var guardedContracts = []string{"eosio", "eosio.token", "eosio.msig", acct}

// limitedBase is the corpus account under a limitauthchg setting.
func limitedBase(allow []string) func() *permissions.Account {
	return func() *permissions.Account {
		a := base().Clone()
		a.AuthChange = &permissions.AuthChangeLimit{Allow: allow}
		return a
	}
}

// spareOf is the n-th spare hardware key of a member.
func spareOf(holder string, n int) *testsigner.Key {
	for i := 0; i < 32; i++ {
		if members[i%4] == holder {
			if n == 0 {
				return spare(i)
			}
			n--
		}
	}
	panic("no spare key " + holder)
}

func holderOf(k *testsigner.Key) string {
	for _, tk := range teamKeys() {
		if tk.k == k {
			return tk.holder
		}
	}
	panic("not a team key")
}

func dangerousPlans() []corpusCase {
	var out []corpusCase
	add := func(name, rule string, edits ...permissions.Edit) {
		out = append(out, corpusCase{name: name, edits: edits, rule: rule})
	}
	addOn := func(b func() *permissions.Account, name, rule string, edits ...permissions.Edit) {
		out = append(out, corpusCase{name: name, edits: edits, rule: rule, base: b})
	}
	n := 0
	// Lockouts and broken trees.
	for _, p := range corpusPerms {
		add("strip all keys of "+p, policies.RuleUnreachable, strip(p)...)
		for _, d := range []uint32{1, 2, 10} {
			add(fmt.Sprintf("threshold of %s %d above its weights", p, d), policies.RuleUnreachable, thr(p, totalWeight(p)+d))
		}
		var es []permissions.Edit
		for _, k := range permKeys(p) {
			n++
			es = append(es, rot(k, unheld(n)))
		}
		if p == "active" {
			es = append(es, rmAcc("active", "carol@active"))
		}
		add("rotate every key of "+p+" to keys nobody holds", lockRule(p), es...)
		add(p+" left to an account that does not exist", policies.RuleMissing, append(strip(p), addAcc(p, "ghostacct@active", 1))...)
		add(p+" left to an account chain too deep", policies.RuleRecursion, append(strip(p), addAcc(p, "deepb@active", 1))...)
		add(p+" left to an account cycle", policies.RuleRecursion, append(strip(p), addAcc(p, "cyca@active", 1))...)
		add(p+" left to a stranger's account", lockRule(p), append(strip(p), addAcc(p, "stranger@active", 1))...)
		add(p+" names an account that was not read", policies.RuleNotLoaded, addAcc(p, "nosuchacct@active", 1))
		es = nil
		for i, k := range permKeys(p) {
			es = append(es, rot(k, soft(i)))
		}
		add("every hardware key of "+p+" rotated to software keys", policies.RuleLastHardware, es...)
	}
	for _, p := range []string{"owner", "active", "rotate"} {
		add(p+" names claim, which is deleted", policies.RuleMissing, addAcc(p, acct+"@claim", 1), del("claim"))
	}
	add("rotate left only to claim, which is deleted", policies.RuleUnreachable, rmKey("rotate", kRotate), addAcc("rotate", acct+"@claim", 1), del("claim"))
	for i, action := range []string{"eosio::voteproducer", "eosio.token::transfer", "eosio::claimrewards", "eosio::regproducer"} {
		name := "empty" + string(rune('a'+i))
		add("link "+action+" to a new permission with no keys", policies.RuleUnreachable, create(name, "active"), link(name, action))
	}
	for _, p := range []string{"claim", "rotate", "active"} {
		for _, a := range policies.NativeAuthActions {
			add("link eosio::"+a+" to "+p, policies.RuleNativeLink, link(p, "eosio::"+a))
		}
	}
	add("owner loses two of three keys", policies.RuleUnreachable, rmKey("owner", kAliceOwner), rmKey("owner", kBobOwner))
	add("owner loses two other keys", policies.RuleUnreachable, rmKey("owner", kBobOwner), rmKey("owner", kCarolOwner))
	add("owner 3-of-3 with one key nobody holds", policies.RuleLockout, thr("owner", 3), rot(kAliceOwner, unheld(99)))

	// Power: the unattended claim key (host bp1) made able to do what it
	// must not, by a link of each sensitive action, by eosio.any, by a
	// contract-wide link.
	for _, s := range sensitive {
		add("link "+s.action+" to the hot claim permission", policies.RuleUnattendedPower, link("claim", s.action))
		add("link "+s.action+" to eosio.any (the hot claim key can run it)", policies.RuleUnattendedPower, link(permissions.Any, s.action))
	}
	for _, c := range guardedContracts {
		for _, p := range []string{"claim", "rotate", "active"} {
			add("contract-wide link "+c+"::* on "+p, policies.RuleContractWide, link(p, c+"::*"))
		}
		add("contract-wide link "+c+"::* on eosio.any", policies.RuleContractWide, link(permissions.Any, c+"::*"))
	}
	add("contract-wide eosio link lets the claim key replace the block-signing key", policies.RuleUnattendedPower, link("claim", "eosio::*"))
	add("contract-wide eosio.token link on the hot claim key", policies.RuleUnattendedPower, link("claim", "eosio.token::*"))
	// Hot and unheld keys reaching owner and active.
	for _, p := range []string{"owner", "active"} {
		add("hot claim permission made enough for "+p, policies.RuleUnattendedPower, addAcc(p, acct+"@claim", 2))
		add("host bp1's second key made enough for "+p, policies.RuleUnattendedPower, addKey(p, kHost2, 2))
		add("an account on host bp1 made enough for "+p, policies.RuleUnattendedPower, addAcc(p, "hotacct@active", 2))
		add("an account two levels from host bp1 made enough for "+p, policies.RuleUnattendedPower, addAcc(p, "hopacct@active", 2))
		add("a key nobody holds made enough for "+p, policies.RuleUnheldPower, addKey(p, unheld(200), 2))
		add("an account nobody on the team holds made enough for "+p, policies.RuleUnheldPower, addAcc(p, "unheldacct@active", 2))
		add("a stranger's account made enough for "+p, policies.RuleUnheldPower, addAcc(p, "stranger@active", 2))
	}
	for _, s := range sensitive[:8] {
		name := "hot" + string(rune('a'+len(out)%26))
		add("new permission with a host key for "+s.action, policies.RuleUnattendedPower, create(name, "active"), addKey(name, kHost2, 1), link(name, s.action))
		name2 := "unh" + string(rune('a'+len(out)%26))
		add("new permission with a key nobody holds for "+s.action, policies.RuleUnheldPower, create(name2, "active"), addKey(name2, unheld(300+len(out)), 1), link(name2, s.action))
	}
	// One person alone.
	add("owner threshold 1", policies.RuleSinglePower, thr("owner", 1))
	add("active threshold 1", policies.RuleSinglePower, thr("active", 1))
	add("owner gets alice's weight-2 spare key", policies.RuleSinglePower, addKey("owner", spare(0), 2))
	add("active gets bob's weight-2 spare key", policies.RuleSinglePower, addKey("active", spare(1), 2))
	add("owner gets carol@active at weight 2", policies.RuleSinglePower, addAcc("owner", "carol@active", 2))
	add("active gets dave@active at weight 2", policies.RuleSinglePower, addAcc("active", "dave@active", 2))
	add("owner made enough by bob's rotate permission", policies.RuleSinglePower, addAcc("owner", acct+"@rotate", 2))
	add("active made enough by bob's rotate permission", policies.RuleSinglePower, addAcc("active", acct+"@rotate", 2))
	for i, s := range []string{"eosio::setcode", "eosio::setabi", "eosio.token::transfer", "eosio::delegatebw", "eosio::undelegatebw", "eosio::sellram"} {
		name := "solo" + string(rune('a'+i))
		add("one member's key alone for "+s, policies.RuleSinglePower, create(name, "active"), addKey(name, spare(2+i), 1), link(name, s))
	}
	add("setcode linked to bob's rotate permission", policies.RuleSinglePower, link("rotate", "eosio::setcode"))
	add("transfer linked to bob's rotate permission", policies.RuleSinglePower, link("rotate", "eosio.token::transfer"))
	// Known keys in each position.
	known := []struct{ name, key string }{
		{"the tutorial key", tutorialKey},
		{"the K1 key of private key 1", smallKey(signer.CurveK1, 1).PublicKey().String()},
		{"the K1 key of private key 2", smallKey(signer.CurveK1, 2).PublicKey().String()},
		{"the K1 key of private key 1000", smallKey(signer.CurveK1, 1000).PublicKey().String()},
		{"the R1 key of private key 1", smallKey(signer.CurveR1, 1).PublicKey().String()},
		{"the R1 key of private key 777", smallKey(signer.CurveR1, 777).PublicKey().String()},
	}
	for _, k := range known {
		for _, p := range corpusPerms {
			add(k.name+" added to "+p, policies.RuleKnownKey, addKeyText(p, k.key, 1))
		}
	}
	add("the tutorial key in a new permission", policies.RuleKnownKey, create("tutor", "active"), addKeyText("tutor", tutorialKey, 1))
	// Hardware lost through account levels (owner held by the members'
	// own accounts, each a hardware key).
	lb := levelBase
	addOn(lb, "owner moved from the members' accounts to one software key", policies.RuleLastHardware,
		rmAcc("owner", "alice@active"), rmAcc("owner", "bob@active"), rmAcc("owner", "carol@active"), addKey("owner", soft(0), 1), thr("owner", 1))
	addOn(lb, "owner moved from the members' accounts to two software keys", policies.RuleLastHardware,
		rmAcc("owner", "alice@active"), rmAcc("owner", "bob@active"), rmAcc("owner", "carol@active"), addKey("owner", soft(0), 1), addKey("owner", soft(1), 1))
	addOn(lb, "owner's member accounts joined by an account with a software key", policies.RuleLastHardware,
		addAcc("owner", "softacct@active", 2))
	addOn(lb, "owner's member accounts joined by two software keys", policies.RuleLastHardware,
		addKey("owner", soft(0), 1), addKey("owner", soft(1), 1))
	addOn(lb, "owner moved from the members' accounts to one person", policies.RuleSinglePower, thr("owner", 1))
	// Under limitauthchg (active allowed, or owner only): the rules still
	// refuse what gives power to machines, strangers or one person.
	for _, lim := range []struct {
		name string
		b    func() *permissions.Account
	}{{"allow owner and active", limitedBase([]string{"owner", "active"})}, {"allow owner only", limitedBase([]string{"owner"})}} {
		addOn(lim.b, "limitauthchg "+lim.name+": hot claim made enough for active", policies.RuleUnattendedPower, addAcc("active", acct+"@claim", 2))
		addOn(lim.b, "limitauthchg "+lim.name+": hot claim made enough for owner", policies.RuleUnattendedPower, addAcc("owner", acct+"@claim", 2))
		addOn(lim.b, "limitauthchg "+lim.name+": owner to one person", policies.RuleSinglePower, thr("owner", 1))
		addOn(lim.b, "limitauthchg "+lim.name+": setcode linked to the hot claim key", policies.RuleUnattendedPower, link("claim", "eosio::setcode"))
		addOn(lim.b, "limitauthchg "+lim.name+": the tutorial key in active", policies.RuleKnownKey, addKeyText("active", tutorialKey, 2))
	}
	add("active's hardware joined by an account with a software key", policies.RuleLastHardware, addAcc("active", "softacct@active", 2))
	add("claim key joined by a software key", policies.RuleLastHardware, addKey("claim", soft(0), 1))
	add("rotate key joined by a software key", policies.RuleLastHardware, addKey("rotate", soft(1), 1))
	return out
}

func safePlans() []corpusCase {
	var out []corpusCase
	add := func(name string, edits ...permissions.Edit) { out = append(out, corpusCase{name: name, edits: edits}) }
	s := 0
	next := func() *testsigner.Key { s++; return spare(s - 1) }
	for _, p := range corpusPerms {
		for i, k := range permKeys(p) {
			if p == "claim" {
				add("rotate the claim key to the host's other hardware key", rot(k, kHost3))
				continue
			}
			add(fmt.Sprintf("rotate key %d of %s to a spare hardware key of the same member", i+1, p), rot(k, spareOf(holderOf(k), i)))
		}
	}
	for _, p := range corpusPerms {
		add("add dave's spare key to "+p, addKey(p, spareOf("dave", 1), 1))
	}
	add("add a weight-2 spare key to claim", addKey("claim", next(), 2))
	add("add a weight-2 spare key to rotate", addKey("rotate", spareOf("bob", 2), 2))
	add("owner threshold 3", thr("owner", 3))
	add("active threshold 3", thr("active", 3))
	for _, p := range corpusPerms {
		add("add dave@active to "+p, addAcc(p, "dave@active", 1))
		add("add deepc@active (five levels) to "+p, addAcc(p, "deepc@active", 1))
	}
	add("add newteam@active (alice's key) to claim", addAcc("claim", "newteam@active", 1))
	add("add newteam@active (alice's key) to rotate", addAcc("rotate", "newteam@active", 1))
	add("add carol@active to claim", addAcc("claim", "carol@active", 1))
	add("add carol@active to rotate", addAcc("rotate", "carol@active", 2))
	add("add dave@active to owner and raise it to 3", addAcc("owner", "dave@active", 1), thr("owner", 3))
	for i, k := range permKeys("owner") {
		add(fmt.Sprintf("owner drops key %d of three", i+1), rmKey("owner", k))
	}
	add("active drops alice's key", rmKey("active", kAliceActive))
	add("active drops bob's key", rmKey("active", kBobActive))
	add("active drops carol@active", rmAcc("active", "carol@active"))
	add("active moved to an account alice holds and bob's key", rmKey("active", kAliceActive), rmAcc("active", "carol@active"), addAcc("active", "newteam@active", 1))
	// Links members can hold alone: harmless actions.
	for i, action := range []string{"eosio::voteproducer", "eosio::refund", "eosio::claimrewards", "eosio.bpay::claimrewards", "eosio::unregprod", "eosio.forum::vote", "delphioracle::write", "producerjson::set", "eosio::regproxy", "eosio.msig::propose"} {
		name := "custom" + string(rune('a'+i))
		add("create "+name+" with one member's key for "+action, create(name, "active"), addKey(name, next(), 1), link(name, action))
	}
	// Sensitive actions with two members required.
	for i, sa := range sensitive {
		name := "pair" + string(rune('a'+i))
		add("create "+name+" needing two members for "+sa.action, create(name, "active"), addKey(name, spare(20), 1), addKey(name, spare(21), 1), thr(name, 2), link(name, sa.action))
	}
	// Emergency layout: one member's hardware key for the block-signing key.
	add("emergency rotate permission for alice", create("rotalice", "active"), addKey("rotalice", spare(22), 1), link("rotalice", "eosio::regproducer2"))
	add("rotate also linked to regfinkey", link("rotate", "eosio::regfinkey"))
	// The hot claim key for what it is for.
	for _, action := range []string{"eosio::voteproducer", "eosio.bpay::claimrewards", "delphioracle::write", "producerjson::set", "eosio::refund", "eosio.forum::vote"} {
		add("link "+action+" to the hot claim permission", link("claim", action))
	}
	for _, action := range []string{"eosio::voteproducer", "eosio::refund", "eosio::regproxy", "delphioracle::write", "producerjson::set", "eosio.forum::vote"} {
		add("link "+action+" to bob's rotate permission", link("rotate", action))
	}
	add("owner 3-of-4 with dave's spare key", addKey("owner", spareOf("dave", 2), 1), thr("owner", 3))
	add("active 3-of-4 with dave@active", addAcc("active", "dave@active", 1), thr("active", 3))
	add("the hot claim key in a child permission for oracle writes", create("oracle", "claim"), addKey("oracle", kHost2, 1), link("oracle", "delphioracle::write"))
	// Contract-wide links on contracts that are not guarded.
	for _, c := range []string{"decentiumorg", "delphioracle", "producerjson", "eosio.forum"} {
		add("contract-wide link "+c+"::* on claim", link("claim", c+"::*"))
	}
	add("contract-wide eosio.token link needing two members, allowed by the policy", create("tokens", "active"), addKey("tokens", spare(23), 1), addKey("tokens", spare(24), 1), thr("tokens", 2), link("tokens", "eosio.token::*"))
	out[len(out)-1].policy = "allow_contract_wide_links: [eosio.token]\n"
	add("nested custom permissions", create("ops", "active"), addKey("ops", kDave, 1), create("ops2", "ops"), addKey("ops2", kCarol, 1), link("ops2", "eosio::voteproducer"))
	add("recovery permission under owner", create("recovery", "owner"), addKey("recovery", kCarolOwner, 1), addKey("recovery", kAliceOwner, 1), thr("recovery", 2))
	add("delete claim", del("claim"))
	add("delete rotate", del("rotate"))
	add("claimrewards back to active", link("active", "eosio::claimrewards"))
	add("unlink claimrewards", unlink("eosio::claimrewards"))
	add("voteproducer to claim", link("claim", "eosio::voteproducer"))
	add("voteproducer to eosio.any", link(permissions.Any, "eosio::voteproducer"))
	add("claimrewards to eosio.any", link(permissions.Any, "eosio::claimrewards"))
	add("unlink unregprod", unlink("eosio::unregprod"))
	add("unlink regproducer", unlink("eosio::regproducer"))
	add("producer template with eosio.bpay", permissions.ProducerTemplate(nil, nil, true))
	add("producer template with a new claim key", permissions.Edit{Op: permissions.OpTemplate, Template: permissions.TemplateProducer, ClaimKeys: []string{kHost3.PublicKey().String()}, BPay: true})
	add("rotate, add and raise together", rot(kAliceActive, spareOf("alice", 3)), addKey("claim", kDave, 1), thr("owner", 3))
	add("rotate every owner key", rot(kAliceOwner, spareOf("alice", 4)), rot(kBobOwner, spareOf("bob", 4)), rot(kCarolOwner, spareOf("carol", 4)))
	add("a software key for a harmless action", create("voter", "active"), addKey("voter", soft(2), 1), link("voter", "eosio::voteproducer"))
	return out
}
