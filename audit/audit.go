package audit

import (
	eos "github.com/eoscanada/eos-go"
)

// Summarize lists a transaction's actions as "contract::action actor@perm".
func Summarize(tx *eos.Transaction) []string {
	var out []string
	for _, a := range tx.Actions {
		s := string(a.Account) + "::" + string(a.Name)
		for _, l := range a.Authorization {
			s += " " + string(l.Actor) + "@" + string(l.Permission)
		}
		out = append(out, s)
	}
	return out
}
