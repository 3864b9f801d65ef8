package demokeys

import (
	"fmt"

	"github.com/bpkeys/bpkeys/devchain"
	"github.com/bpkeys/bpkeys/signer"
)

// ProducerAccount is the demo team's producer account.
const ProducerAccount = "bpkeysdemo11"

// Team is the demo's sample producer team: three members with a key each,
// a claim key and a rotate key (standing in for server HSM keys), a spare
// key on no account yet (on the demo's labelled device, for the tour's key
// rotation), and the producer's block-signing public key.
type Team struct {
	Alice, Bob, Carol *Key
	Claim, Rotate     *Key
	Spare             *Key
	ProducerKey       signer.PublicKey
}

// NewTeam generates the team's keys.
func NewTeam() (*Team, error) {
	t := &Team{}
	var err error
	for _, k := range []struct {
		dst   **Key
		label string
	}{{&t.Alice, "alice"}, {&t.Bob, "bob"}, {&t.Carol, "carol"}, {&t.Claim, ProducerAccount + "@claim"}, {&t.Rotate, ProducerAccount + "@rotate"}, {&t.Spare, "spare"}} {
		if *k.dst, err = NewR1(k.label); err != nil {
			return nil, err
		}
	}
	if t.ProducerKey, err = NewK1PublicKey(); err != nil {
		return nil, err
	}
	return t, nil
}

// Members returns the member accounts and their keys.
func (t *Team) Members() []struct {
	Account string
	Key     *Key
} {
	return []struct {
		Account string
		Key     *Key
	}{{"alice", t.Alice}, {"bob", t.Bob}, {"carol", t.Carol}}
}

func keyAuthority(k *Key) devchain.GenesisAuthority {
	var a devchain.GenesisAuthority
	if err := unmarshalAuthority(fmt.Sprintf(`{"threshold":1,"keys":[{"key":%q,"weight":1}],"accounts":[],"waits":[]}`, k.PublicKey().String()), &a); err != nil {
		panic(err)
	}
	return a
}

// Genesis returns the demo chain's genesis: alice, bob and carol; the
// producer account with owner and active 2-of-3 over the members' active
// permissions, a claim permission linked to eosio::claimrewards and
// eosio.bpay::claimrewards, a rotate permission linked to regproducer,
// regproducer2 and unregprod; and the registered producer.
func (t *Team) Genesis() *devchain.Genesis {
	g := &devchain.Genesis{}
	for _, m := range t.Members() {
		g.Accounts = append(g.Accounts, devchain.GenesisAccount{Name: m.Account, Balance: "1000.0000 EOS", Permissions: []devchain.GenesisPermission{
			{PermName: "owner", RequiredAuth: keyAuthority(m.Key)},
			{PermName: "active", Parent: "owner", RequiredAuth: keyAuthority(m.Key)},
		}})
	}
	var team devchain.GenesisAuthority
	if err := unmarshalAuthority(`{"threshold":2,"keys":[],"accounts":[
		{"permission":{"actor":"alice","permission":"active"},"weight":1},
		{"permission":{"actor":"bob","permission":"active"},"weight":1},
		{"permission":{"actor":"carol","permission":"active"},"weight":1}],"waits":[]}`, &team); err != nil {
		panic(err)
	}
	g.Accounts = append(g.Accounts, devchain.GenesisAccount{Name: ProducerAccount, Balance: "100.0000 EOS", Permissions: []devchain.GenesisPermission{
		{PermName: "owner", RequiredAuth: team},
		{PermName: "active", Parent: "owner", RequiredAuth: team},
		{PermName: "claim", Parent: "active", RequiredAuth: keyAuthority(t.Claim), LinkedActions: []devchain.GenesisLinkedAt{
			{Account: "eosio", Action: "claimrewards"}, {Account: "eosio.bpay", Action: "claimrewards"}}},
		{PermName: "rotate", Parent: "active", RequiredAuth: keyAuthority(t.Rotate), LinkedActions: []devchain.GenesisLinkedAt{
			{Account: "eosio", Action: "regproducer"}, {Account: "eosio", Action: "regproducer2"}, {Account: "eosio", Action: "unregprod"}}},
	}})
	g.Producers = []devchain.GenesisProducer{{Owner: ProducerAccount, ProducerKey: t.ProducerKey.String(), URL: "https://bpkeys.example/demo", Location: 0}}
	return g
}
