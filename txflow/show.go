package txflow

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	eos "github.com/eoscanada/eos-go"

	"github.com/bpkeys/bpkeys/contracts"
	"github.com/bpkeys/bpkeys/proposals"
	"github.com/bpkeys/bpkeys/signer"
)

// knownChains names the public chains by chain id.
var knownChains = map[string]string{
	"aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906": "EOS mainnet",
	"73e4385a2708e6d7048834fbc1079f2fabb17b3c125b146af438971e90716c4d": "Jungle 4 testnet",
	"5fff1dae8dc8e2fc4d5b23b2c7665c97f9e9d8edf2b6485a86ba311c25639191": "Kylin testnet",
	"1064487b3cd1a897ce03ae5b6a865651747e2e152090f99c1d19d44e01aea5a4": "WAX mainnet",
	"f16b1833c747c43682f4386fca9cbb327929334a762755ebec17f6f23c9b8a12": "WAX testnet",
	"4667b205c6838ef70ff7988f6e8257e8be0e1284a2f59699054a018f743b1d11": "Telos mainnet",
	"1eaa0824707c8c16bd25145493bf062aecddfeb56c736f6ba6397f3195f33c9f": "Telos testnet",
}

// DevchainVersion is the server_version_string of bpkeys' local chain.
const DevchainVersion = "bpkeys-devchain"

// ChainName names the chain a signature is for: a public chain by its id,
// "local devchain" for bpkeys' local chain, else "unknown chain".
func ChainName(id signer.ChainID, serverVersion string) string {
	if n, ok := knownChains[id.String()]; ok {
		return n
	}
	if serverVersion == DevchainVersion {
		return "local devchain (not a public chain)"
	}
	return "unknown chain (not EOS, Jungle, Kylin, WAX or Telos)"
}

// Describe lists every signed field of the frozen transaction, decoded from
// its bytes: header, resource limits, delay, context-free actions, actions
// (with their data decoded by the built-in ABIs where one is known, in hex
// otherwise), extensions, id and digest.
func Describe(f *Frozen) []string {
	d := f.Decoded
	out := []string{
		fmt.Sprintf("expires           %s", d.Expiration.UTC().Format(time.RFC3339)),
		fmt.Sprintf("reference block   %d (prefix %d)", d.RefBlockNum, d.RefBlockPrefix),
		fmt.Sprintf("resource limits   net %s, cpu %s", limit(uint64(d.MaxNetUsageWords), "words"), limit(uint64(d.MaxCPUUsageMS), "ms")),
		fmt.Sprintf("delay             %d s", d.DelaySec),
	}
	if d.DelaySec > 0 {
		out = append(out, "  WARNING: a delayed transaction runs later, when nobody is watching")
	}
	if len(d.ContextFreeActions) > 0 {
		out = append(out, fmt.Sprintf("context-free actions (%d):", len(d.ContextFreeActions)))
		out = append(out, actionLines(d.ContextFreeActions)...)
	}
	out = append(out, fmt.Sprintf("actions (%d):", len(d.Actions)))
	out = append(out, actionLines(d.Actions)...)
	if d.Extensions > 0 {
		out = append(out, fmt.Sprintf("transaction extensions: %d", d.Extensions))
	}
	if len(f.CFD) > 0 {
		out = append(out, fmt.Sprintf("context-free data %d bytes", len(f.CFD)))
	}
	out = append(out,
		fmt.Sprintf("transaction id    %s", f.IDHex()),
		fmt.Sprintf("digest            %s", f.DigestHex()))
	return out
}

func limit(v uint64, unit string) string {
	if v == 0 {
		return "no limit"
	}
	return fmt.Sprintf("%d %s", v, unit)
}

// actionLines is each action with its authorization and data.
func actionLines(as []proposals.Action) []string {
	var out []string
	for _, a := range as {
		var auth []string
		for _, l := range a.Authorization {
			auth = append(auth, string(l.Actor)+"@"+string(l.Permission))
		}
		by := strings.Join(auth, ", ")
		if by == "" {
			by = "no authorization"
		}
		out = append(out, fmt.Sprintf("  %s::%s by %s", a.Account, a.Name, by))
		if js, err := contracts.DecodeActionJSON(a.Account, eos.ActionName(a.Name), a.Data); err == nil {
			out = append(out, "    "+string(js))
		} else {
			out = append(out, "    data (hex, no built-in ABI decodes it): "+hex.EncodeToString(a.Data))
		}
	}
	return out
}

// Summary is the actions as "contract::action actor@perm", from the bytes.
func Summary(f *Frozen) []string {
	var out []string
	for _, a := range f.Decoded.Actions {
		s := string(a.Account) + "::" + string(a.Name)
		for _, l := range a.Authorization {
			s += " " + string(l.Actor) + "@" + string(l.Permission)
		}
		out = append(out, s)
	}
	return out
}
